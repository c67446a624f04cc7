package testkit

import (
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

// RestartProgressWait is how long [Ledger.Restarts] waits for a run to handle its share of the
// values. It only matters when a test fails.
const RestartProgressWait = 30 * time.Second

// Restarts is the restart test of a consumer in this process. For each of runs runs, in order,
// it starts a new run of l; calls start, which runs the app with [RunSignalled] (ready when start
// returns) and the consumer adding what it handles to l; waits at most [RestartProgressWait]
// until l holds a share of the n values that grows run by run (all n in the last run); stops the
// app — by App.Stop in even runs, by SIGTERM through its signal source in odd ones — and waits
// for Run to return; fails t unless the app exited clean with every component stopped and no
// goroutine left behind; and calls after, if not nil, with the run and the app's report. It
// returns once every run is done; what the runs handled is in l.
func (l *Ledger) Restarts(t testing.TB, n, runs int, start func(run int) *Signalled, after func(run int, rep *grace.Report)) {
	t.Helper()
	for run := range runs {
		l.NextRun()
		r := start(run)
		l.WaitDistinct(t, n*(run+1)/runs, RestartProgressWait)
		if run%2 == 0 {
			r.App.Stop("test restart")
		} else {
			r.Signals.Send(syscall.SIGTERM)
		}
		rep := r.Wait(t).Report
		if rep.ExitCode != grace.ExitClean {
			t.Fatalf("run %d: exit %d, want clean:\n%s", run, rep.ExitCode, rep)
		}
		for _, cr := range rep.Components {
			if cr.State != grace.StateStopped || cr.LeftBehind > 0 {
				t.Fatalf("run %d: %s %s with %d goroutines left behind:\n%s", run, cr.Name, cr.State, cr.LeftBehind, rep)
			}
		}
		if after != nil {
			after(run, rep)
		}
	}
}
