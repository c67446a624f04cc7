//go:build unix

package gracefx_test

import (
	"os"
	"os/exec"
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
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	testkit.Until(t, 10*time.Second, "the child to be ready", func() bool { return strings.Contains(out.String(), "ready\n") })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := testkit.Recv(t, done, 10*time.Second, "the child to exit")
	done <- err // for the cleanup
	if err != nil {
		t.Fatalf("child exited with %v, want 0:\n%s", err, errOut.String())
	}
	want := "start a\nstart b\nstart c\nready\nstop c\nstop b\nstop a\n"
	if got := out.String(); got != want {
		t.Errorf("child wrote %q, want %q", got, want)
	}
}
