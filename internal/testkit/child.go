package testkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// ChildKillWait is how long [Child] waits for a killed child to be reaped. A killed process is
// gone in milliseconds; the bound only matters if something is badly wrong.
const ChildKillWait = 10 * time.Second

// Child is the test binary run again as a separate process, to test a program under real
// signals: the test's TestMain sees the environment marker the test passed to [StartChild] and
// runs the program instead of the tests.
type Child struct {
	cmd    *exec.Cmd
	stderr lockedBuffer
	out    *Lines        // its output, line by line, if started to read it (lines.go)
	exited chan struct{} // closed once the process was reaped and err is set
	err    error
}

// StartChild starts this test binary again, running no tests (-test.run=^$), with the test's
// environment plus env ("NAME=value" each; one of them the marker TestMain looks for). The
// child's standard error is kept for failure messages. It fails t if the child cannot start.
// When the test ends, a child still running is killed and reaped.
func StartChild(t testing.TB, env ...string) *Child {
	t.Helper()
	c := &Child{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	c.cmd.Stderr = &c.stderr
	c.start(t, "the test binary as a child", env)
	return c
}

// start starts c.cmd, its output already directed, with the test's environment plus env.
func (c *Child) start(t testing.TB, what string, env []string) {
	t.Helper()
	c.exited = make(chan struct{})
	c.cmd.Env = append(os.Environ(), env...)
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		if c.out != nil {
			c.out.end()
		}
		close(c.exited)
	}()
	t.Cleanup(func() { c.kill(t) })
}

// Exited returns a channel that is closed once the child has exited.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// Stderr returns what the child wrote to its standard error so far.
func (c *Child) Stderr() string { return c.stderr.String() }

// Signal sends sig to the child, failing t if it cannot be sent.
func (c *Child) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("send %v to the child: %v", sig, err)
	}
}

// Wait waits at most d for the child to exit and returns how it exited: nil for exit code 0,
// else an *exec.ExitError (its ExitCode, or the signal that ended it). Past d it kills the child
// and fails t with the child's standard error.
func (c *Child) Wait(t testing.TB, d time.Duration) error {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-c.exited:
		return c.err
	case <-timer.C:
		c.kill(t)
		t.Fatalf("child still running after %v; its stderr:\n%s", d, c.Stderr())
		return nil
	}
}

// PollUntil calls cond every [PollInterval] until it returns true, at most d, while the child
// runs. If the child exits first, or d passes (then the child is killed), it fails t with
// "what", how the child exited and its standard error. cond runs on the test's goroutine.
func (c *Child) PollUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			c.kill(t)
			t.Fatalf("waited %v for %s; child stderr:\n%s", d, what, c.Stderr())
		}
		select {
		case <-c.exited:
			t.Fatalf("child exited (%v) before %s; its stderr:\n%s", c.err, what, c.Stderr())
		case <-time.After(PollInterval):
		}
	}
}

// kill ends the child at once, if it still runs, and waits at most ChildKillWait to reap it.
func (c *Child) kill(t testing.TB) {
	t.Helper()
	if err := c.Kill(); err != nil {
		t.Error(err)
	}
}

// Kill ends the child at once, if it still runs, and waits at most [ChildKillWait] for it to be
// reaped; the error says it was not. Unlike the methods that take a testing.TB, it may be
// called from any goroutine.
func (c *Child) Kill() error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	c.cmd.Process.Kill()
	timer := time.NewTimer(ChildKillWait)
	defer timer.Stop()
	select {
	case <-c.exited:
		return nil
	case <-timer.C:
		return fmt.Errorf("killed child not reaped after %v", ChildKillWait)
	}
}

// lockedBuffer is a bytes.Buffer the child's output can be written to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
