package testkit_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

// The test binary doubles as the child of the Child tests: with childModeEnv set, TestMain runs
// childMain instead of the tests.
const (
	childModeEnv = "TESTKIT_CHILD_MODE" // "interrupt": wait for os.Interrupt, exit 0; "exit3": exit 3
	childOutEnv  = "TESTKIT_CHILD_OUT"  // file the child writes "ready" to once it listens for signals
	childNEnv    = "TESTKIT_CHILD_N"    // "count": how many values there are
)

func childMain(mode string) int {
	switch mode {
	case "interrupt":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		if err := os.WriteFile(os.Getenv(childOutEnv), []byte("ready\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		<-sig
		return 0
	case "count":
		return childCount()
	case "lines":
		return childLines()
	case "exit3":
		fmt.Fprintln(os.Stderr, "child says bye")
		return 3
	}
	fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
	return 2
}

func fileExists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

func TestChildIsSignalledAndWaitedFor(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ready")
	c := testkit.StartChild(t, childModeEnv+"=interrupt", childOutEnv+"="+out)
	c.PollUntil(t, 20*time.Second, "the child to listen for signals", fileExists(out))
	select {
	case <-c.Exited():
		t.Fatal("child exited before the signal")
	default:
	}
	c.Signal(t, os.Interrupt)
	if err := c.Wait(t, 20*time.Second); err != nil {
		t.Fatalf("child exited with %v after the signal, want 0; stderr:\n%s", err, c.Stderr())
	}
}

func TestChildExitCodeAndStderr(t *testing.T) {
	c := testkit.StartChild(t, childModeEnv+"=exit3")
	err := c.Wait(t, 20*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("Wait = %v, want exit code 3", err)
	}
	if !strings.Contains(c.Stderr(), "child says bye") {
		t.Fatalf("Stderr = %q, want the child's message", c.Stderr())
	}
}

func TestChildPollUntilFailsWhenTheChildExits(t *testing.T) {
	got := failures(t, func(tb testing.TB) {
		c := testkit.StartChild(tb, childModeEnv+"=exit3")
		c.PollUntil(tb, 20*time.Second, "a condition that never holds", func() bool { return false })
	})
	if !strings.Contains(got, "child exited") || !strings.Contains(got, "before a condition that never holds") || !strings.Contains(got, "child says bye") {
		t.Fatalf("failure %q, want the early exit with the child's stderr", got)
	}
}

func TestChildPastItsDeadlineIsKilled(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ready")
	var c *testkit.Child
	got := failures(t, func(tb testing.TB) {
		c = testkit.StartChild(tb, childModeEnv+"=interrupt", childOutEnv+"="+out)
		c.PollUntil(tb, 20*time.Second, "the child to listen for signals", fileExists(out))
		c.Wait(tb, 50*time.Millisecond)
	})
	if !strings.Contains(got, "child still running after 50ms") {
		t.Fatalf("failure %q, want the deadline named", got)
	}
	testkit.Await(t, c.Exited(), time.Second, "the killed child to be reaped")

	got = failures(t, func(tb testing.TB) {
		c = testkit.StartChild(tb, childModeEnv+"=interrupt", childOutEnv+"="+out+"2")
		c.PollUntil(tb, 50*time.Millisecond, "a condition that never holds", func() bool { return false })
	})
	if !strings.Contains(got, "waited 50ms for a condition that never holds") {
		t.Fatalf("failure %q, want the deadline named", got)
	}
	testkit.Await(t, c.Exited(), time.Second, "the killed child to be reaped")
}

func TestChildStillRunningIsKilledWhenTheTestEnds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ready")
	var c *testkit.Child
	if got := failures(t, func(tb testing.TB) {
		c = testkit.StartChild(tb, childModeEnv+"=interrupt", childOutEnv+"="+out)
		c.PollUntil(tb, 20*time.Second, "the child to listen for signals", fileExists(out))
	}); got != "" {
		t.Fatal(got)
	}
	testkit.Await(t, c.Exited(), time.Second, "the child to be killed by the test's cleanup")
}

// childCount plays a consumer that stops cleanly at os.Interrupt: it appends the values 0..n-1 to
// the file childOutEnv names, one a line, 2ms apart, starting again at the last value the file
// holds (handled again, as a consumer that had not committed it would), then waits for the signal.
func childCount() int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	path := os.Getenv(childOutEnv)
	n, err := strconv.Atoi(os.Getenv(childNEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	next := 0
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		next, _ = strconv.Atoi(lines[len(lines)-1])
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer f.Close()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for v := next; ; v++ {
		if v < n {
			fmt.Fprintln(f, v)
		}
		select {
		case <-sig:
			return 0
		case <-tick.C:
		}
	}
}

func TestLedgerChildRuns(t *testing.T) {
	const n = 300
	out := filepath.Join(t.TempDir(), "handled")
	l := testkit.NewLedger("record")
	signals := []os.Signal{os.Interrupt, os.Kill, os.Interrupt}
	var after []os.Signal
	l.ChildRuns(t, n, out, signals, []string{childModeEnv + "=count", childNEnv + "=" + strconv.Itoa(n), childOutEnv + "=" + out},
		func(run int, sig os.Signal) {
			if run != len(after) {
				t.Errorf("after called for run %d, want %d", run, len(after))
			}
			after = append(after, sig)
		})
	if len(after) != len(signals) {
		t.Fatalf("after called for %v, want %v", after, signals)
	}
	if total := l.Check(t, n, 1); total != 2 {
		t.Errorf("%d values handled again, want 2 (one per restart)", total)
	}
	if _, _, handled, _ := l.Snapshot(); len(handled) != 3 || handled[0] < n/3 || handled[1] == 0 || handled[2] == 0 {
		t.Errorf("handled per run %v, want three runs, the first with a third of %d", handled, n)
	}
}

func TestLedgerChildRunsFailsWhenAChildExitsEarly(t *testing.T) {
	got := failures(t, func(tb testing.TB) {
		testkit.NewLedger("record").ChildRuns(tb, 10, filepath.Join(t.TempDir(), "handled"), []os.Signal{os.Interrupt}, []string{childModeEnv + "=exit3"}, nil)
	})
	if !strings.Contains(got, "child exited") || !strings.Contains(got, "run 0: 10 distinct records handled") {
		t.Fatalf("failure %q, want the early exit named", got)
	}
}
