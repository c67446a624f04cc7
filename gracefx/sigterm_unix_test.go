//go:build unix

package gracefx_test

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// TestSIGTERMChildProcess runs an fx service wired through gracefx as a separate process (this
// test binary, see childMain) under real os/signal handling, and sends it a real SIGTERM: every
// OnStop runs, in reverse order, and the process exits 0.
func TestSIGTERMChildProcess(t *testing.T) {
	child := testkit.StartChildLines(t, childEnv+"=1")
	child.ReadUntil(t, 10*time.Second, "the child to be ready", func(line string) bool { return line == "ready" })
	child.Signal(t, syscall.SIGTERM)
	if err := child.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("child exited with %v, want 0:\n%s", err, child.Stderr())
	}
	want := []string{"start a", "start b", "start c", "ready", "stop c", "stop b", "stop a"}
	if got := child.Output(); !slices.Equal(got, want) {
		t.Errorf("child wrote %q, want %q", got, want)
	}
}
