package testkit

import (
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

// RandomStop is when one run of [Ledger.RandomStops] is stopped: from the consumer's handler as
// it takes its K-th value (InHand: the stop lands with a value in hand and others fetched ahead),
// or from the test Delay after the run began (anywhere: the start, a fetch, a handler, an ack).
type RandomStop struct {
	InHand bool
	K      int64
	Delay  time.Duration

	app  *grace.App
	seen atomic.Int64
}

// Take is called by the test's handler as it takes each value, before it handles it. It returns
// how many values the run's handler has taken, this one included, and at the K-th of an in-hand
// stop it stops the app.
func (s *RandomStop) Take() int64 {
	n := s.seen.Add(1)
	if s.InHand && n == s.K {
		s.app.Stop("random stop in hand")
	}
	return n
}

// String says when the stop came, for failure messages.
func (s *RandomStop) String() string {
	if s.InHand {
		return "with value " + strconv.FormatInt(s.K, 10) + " in hand"
	}
	return "after " + s.Delay.String()
}

// RandomStops is the random stop-and-restart test of a consumer: restarts runs, each stopped at
// a moment drawn from the test's seed ([Seed]; printed on failure, so GRACE_TEST_SEED replays
// it). Each run begins a new run of l, draws its [RandomStop] — in hand at one of the first
// 3×batch values, or after up to 15 ms — and calls start, which adds the consumer (whose handler
// calls [RandomStop.Take] and adds what it handles to l) and its parts to app. It runs app
// without waiting for it to be ready, since a stop may come while it starts. For an in-hand
// stop it waits until the handler's stop ended the run, or no value came for [RandomStopIdle];
// for a stop from the test, it calls settle, if not nil, and then waits for the delay (or the end
// of the run). Then it stops app (which also ends a run whose in-hand stop never came) and fails t unless the run exited clean
// and handled nothing again — the clean stops lose nothing and hand back everything not
// finished. Then it calls after, if not nil, with the run's report for the consumer's own
// checks. It returns the values the reports counted as handed back, in all.
func (l *Ledger) RandomStops(t *testing.T, restarts, batch int,
	start func(run int, s *RandomStop, app *grace.App),
	settle func(r *Running),
	after func(run int, s *RandomStop, rep *grace.Report),
) (handedBack int64) {
	t.Helper()
	seed := Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for run := range restarts {
		l.NextRun()
		s := &RandomStop{
			InHand: rng.IntN(2) == 0,
			K:      int64(1 + rng.IntN(3*batch)),
			Delay:  time.Duration(rng.IntN(int(15 * time.Millisecond))),
			app:    NewApp(grace.WithBudget(20 * time.Second)),
		}
		start(run, s, s.app)
		r := Run(t, s.app)
		if s.InHand {
			l.awaitStopInHand(r)
		} else {
			if settle != nil {
				settle(r)
			}
			timer := time.NewTimer(s.Delay)
			select {
			case <-timer.C:
			case <-r.Ended():
			}
			timer.Stop()
		}
		s.app.Stop("random stop")
		rep := r.Wait(t).Report
		if rep.ExitCode != grace.ExitClean {
			t.Fatalf("run %d (stop %s): exit %d:\n%s", run, s, rep.ExitCode, rep)
		}
		if _, dups, _, _ := l.Snapshot(); dups[run] != 0 {
			t.Fatalf("run %d (stop %s): %d %ss handled again after clean stops", run, s, dups[run], l.noun)
		}
		handedBack += rep.HandedBack
		if after != nil {
			after(run, s, rep)
		}
	}
	return handedBack
}

// RandomStopIdle is how long [Ledger.RandomStops] waits for an in-hand stop while no value comes:
// once every value is handled, none comes to stop the run.
const RandomStopIdle = 500 * time.Millisecond

// awaitStopInHand waits until the run r ends — its handler stopped it with a value in hand — or
// no value was added to l for [RandomStopIdle].
func (l *Ledger) awaitStopInHand(r *Running) {
	idle := time.NewTimer(RandomStopIdle)
	defer idle.Stop()
	for {
		l.mu.Lock()
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-r.Ended():
			return
		case <-idle.C:
			return
		case <-changed:
			idle.Reset(RandomStopIdle)
		}
	}
}

// ExactlyOnce fails t (without stopping it) for every value in 0..n-1 not handled exactly once,
// and logs what the runs handled, with handedBack, the values the stops handed back.
func (l *Ledger) ExactlyOnce(t testing.TB, n int, handedBack int64) {
	t.Helper()
	distinct, dups, handled, counts := l.Snapshot()
	for v := range n {
		if counts[v] != 1 {
			t.Errorf("%s %d handled %d times, want exactly once", l.noun, v, counts[v])
		}
	}
	total := 0
	for _, d := range dups {
		total += d
	}
	last := 0
	if len(handled) > 0 {
		last = handled[len(handled)-1]
	}
	t.Logf("%d %ss, %d distinct handled, %d runs, %d handled by the last run, %d duplicates, %d handed back",
		n, l.noun, distinct, len(handled), last, total, handedBack)
}
