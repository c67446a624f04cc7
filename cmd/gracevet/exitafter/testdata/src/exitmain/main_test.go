package main

import (
	"os"
	"testing"
)

// Positive: TestMain with a defer; os.Exit(m.Run()) skips it.
func TestMain(m *testing.M) {
	dir, _ := os.MkdirTemp("", "x")
	defer os.RemoveAll(dir)
	os.Exit(m.Run()) // want `os.Exit skips the deferred os.RemoveAll\(\)`
}

// Look-alike: t.Fatal runs deferred calls (runtime.Goexit).
func TestX(t *testing.T) {
	defer os.Remove("x")
	t.Fatal("x")
}
