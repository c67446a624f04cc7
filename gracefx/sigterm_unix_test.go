//go:build unix

package gracefx_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// TestSIGTERMChildProcess runs an fx service wired through gracefx as a separate process (this
// test binary, see childMain) under real os/signal handling, and sends it a real SIGTERM: every
// OnStop runs, in reverse order, and the process exits 0.
func TestSIGTERMChildProcess(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hooks")
	written := func() string { b, _ := os.ReadFile(out); return string(b) }
	child := testkit.StartChild(t, childEnv+"="+out)
	child.PollUntil(t, 10*time.Second, "the child to be ready", func() bool { return strings.Contains(written(), "ready\n") })
	child.Signal(t, syscall.SIGTERM)
	if err := child.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("child exited with %v, want 0:\n%s", err, child.Stderr())
	}
	want := "start a\nstart b\nstart c\nready\nstop c\nstop b\nstop a\n"
	if got := written(); got != want {
		t.Errorf("child wrote %q, want %q", got, want)
	}
}
