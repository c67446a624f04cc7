//go:build linux

package graceupgrade_test

import (
	"os"
	"testing"

	"github.com/gracekit/grace/internal/leakcheck"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(roleVar); role != "" {
		os.Exit(helperMain(role))
	}
	becomeSubreaper()
	leakcheck.Main(m)
}
