package testkit_test

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// childLines writes two lines and "ready" to stdout, a note to stderr, then at os.Interrupt
// "bye" without a newline, and exits 0.
func childLines() int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	fmt.Print("one\ntwo\r\nready\n")
	fmt.Fprintln(os.Stderr, "a note")
	<-sig
	fmt.Print("bye")
	return 0
}

func TestChildLinesAreReadInOrderUntilAMatch(t *testing.T) {
	c := testkit.StartChildLines(t, childModeEnv+"=lines")
	got := c.ReadUntil(t, 20*time.Second, "ready", func(l string) bool { return l == "ready" })
	if !slices.Equal(got, []string{"one", "two", "ready"}) {
		t.Fatalf("read %q, want one, two, ready", got)
	}
	c.Signal(t, os.Interrupt)
	// Reading goes on after the last match; a last line without a newline counts.
	if got := c.ReadUntil(t, 20*time.Second, "bye", func(l string) bool { return l == "bye" }); !slices.Equal(got, []string{"bye"}) {
		t.Fatalf("read %q after ready, want bye", got)
	}
	if err := c.Wait(t, 20*time.Second); err != nil || c.Err() != nil {
		t.Fatalf("exit %v, want 0", err)
	}
	if !slices.Equal(c.Output(), []string{"one", "two", "ready", "bye"}) || !strings.Contains(c.Stderr(), "a note") {
		t.Fatalf("output %q, stderr %q", c.Output(), c.Stderr())
	}
}

func TestChildReadUntilFailsWhenTheChildExitsOrTimeIsUp(t *testing.T) {
	got := failures(t, func(tb testing.TB) {
		c := testkit.StartChildLines(tb, childModeEnv+"=exit3")
		c.ReadUntil(tb, 20*time.Second, "a line never written", func(string) bool { return false })
	})
	if !strings.Contains(got, "child exited (exit status 3) before a line never written") || !strings.Contains(got, "child says bye") {
		t.Fatalf("failure %q, want the early exit with the child's stderr", got)
	}
	got = failures(t, func(tb testing.TB) {
		c := testkit.StartChildLines(tb, childModeEnv+"=lines")
		c.ReadUntil(tb, 20*time.Second, "ready", func(l string) bool { return l == "ready" })
		c.ReadUntil(tb, 50*time.Millisecond, "a line never written", func(string) bool { return false })
	})
	if !strings.Contains(got, "waited 50ms for a line never written") || !strings.Contains(got, "ready") {
		t.Fatalf("failure %q, want the deadline named and the output", got)
	}
}

// StartProgram runs any program; its stderr is read with its stdout. The program here is the
// test binary itself, started the way StartChild does.
func TestProgramOutputMergesStderr(t *testing.T) {
	c := testkit.StartProgram(t, os.Args[0], []string{"-test.run=^$"}, childModeEnv+"=lines")
	c.ReadUntil(t, 20*time.Second, "the note on stderr", func(l string) bool { return l == "a note" })
	if err := c.Send(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	testkit.Await(t, c.Exited(), 20*time.Second, "the program to exit")
	if c.Err() != nil || c.Stderr() != "" {
		t.Fatalf("exit %v, stderr %q (want it in the output)", c.Err(), c.Stderr())
	}
	if err := c.Kill(); err != nil {
		t.Fatalf("Kill after the exit: %v", err)
	}
}
