package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "testserver" {
		os.Exit(testServer(os.Args[2:]))
	}
	goleak.VerifyTestMain(m)
}
