package testkit

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// Deadlines of [Ledger.ChildRuns]. They only matter when a test fails.
const (
	ChildProgressWait = 30 * time.Second // for a child to handle its share of the values
	ChildExitWait     = 20 * time.Second // for a child to exit after its signal
)

// ChildRuns is the restart test of a consumer that runs in another process and appends each
// value it handles to the file out. For each signal in signals, in order, it starts a new run of
// l and the test binary as a child with env ([StartChild]); waits at most [ChildProgressWait]
// until l, reading out ([Ledger.ReadFile]), holds a share of the n values that grows run by run
// (all n in the last run), failing t if the child exits first; sends the child the signal; waits
// at most [ChildExitWait] for it to exit, which must be with code 0 unless the signal is os.Kill
// (a crash, with no stop); reads what the child handled last; and calls after, if not nil, with
// the run and its signal. It returns once every run is done; what the runs handled is in l.
func (l *Ledger) ChildRuns(t testing.TB, n int, out string, signals []os.Signal, env []string, after func(run int, sig os.Signal)) {
	t.Helper()
	runs := len(signals)
	for run, sig := range signals {
		l.NextRun()
		c := StartChild(t, env...)
		target := n * (run + 1) / runs // distinct values to reach before the signal
		if run == runs-1 {
			target = n
		}
		c.PollUntil(t, ChildProgressWait, fmt.Sprintf("run %d: %d distinct %ss handled", run, target, l.noun), func() bool {
			l.ReadFile(t, out)
			return l.Distinct() >= target
		})
		c.Signal(t, sig)
		if err := c.Wait(t, ChildExitWait); sig != os.Kill && err != nil {
			t.Fatalf("run %d: child exited with %v after %v, want 0 (clean stop):\n%s", run, err, sig, c.Stderr())
		}
		l.ReadFile(t, out) // everything the child handled is in the file now
		if after != nil {
			after(run, sig)
		}
	}
}
