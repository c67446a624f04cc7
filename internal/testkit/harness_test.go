package testkit_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

// TestLedgerRandomStops plays an exactly-once consumer (each run goes on from the first value not
// handled) under RandomStops: every run stopped in hand ends with its K-th value in hand (it
// handled K values, unless fewer were left), the stops are drawn both ways, and in the end every
// value was handled exactly once.
func TestLedgerRandomStops(t *testing.T) {
	const n, restarts, batch = 5000, 30, 5
	l := testkit.NewLedger("record")
	var next atomic.Int64
	var inHand, fromTest int
	var stop *testkit.RandomStop
	var took atomic.Int64
	handedBack := l.RandomStops(t, restarts, batch, func(run int, s *testkit.RandomStop, app *grace.App) {
		stop = s
		took.Store(0)
		app.Add("consumer", grace.RunFunc(func(ctx context.Context) error {
			for ctx.Err() == nil && next.Load() < n {
				took.Store(s.Take())
				time.Sleep(50 * time.Microsecond)
				v := next.Add(1) - 1
				if err := l.Add([]byte(strconv.FormatInt(v, 10))); err != nil {
					return err
				}
			}
			<-ctx.Done()
			return nil
		}))
	}, nil, func(run int, s *testkit.RandomStop, rep *grace.Report) {
		if s != stop {
			t.Fatalf("run %d: after got another stop than start", run)
		}
		if !s.InHand {
			fromTest++
			return
		}
		inHand++
		if _, _, handled, _ := l.Snapshot(); next.Load() < n && (int64(handled[run]) < s.K || took.Load() < s.K) {
			t.Errorf("run %d (stop %s): handled %d, took %d; want the stop to come at the K-th", run, s, handled[run], took.Load())
		}
	})
	if inHand == 0 || fromTest == 0 {
		t.Errorf("%d stops in hand, %d from the test: want both", inHand, fromTest)
	}
	l.NextRun()
	for v := next.Load(); v < n; v++ {
		l.Add([]byte(strconv.FormatInt(v, 10)))
	}
	l.ExactlyOnce(t, n, handedBack)
}

// TestLedgerRollingRestart: two instances taking values from one queue share the work, the
// first is stopped, the second finishes, and nothing was handled twice.
func TestLedgerRollingRestart(t *testing.T) {
	const n = 600
	l := testkit.NewLedger("record")
	l.NextRun()
	var next atomic.Int64
	var started int
	l.RollingRestart(t, n, 0, func(took *atomic.Int32) *testkit.Signalled {
		started++
		return testkit.RunSignalled(t, func(app *grace.App) {
			app.Add("consumer", grace.RunFunc(func(ctx context.Context) error {
				for ctx.Err() == nil {
					v := next.Add(1) - 1
					if v >= n {
						<-ctx.Done()
						break
					}
					time.Sleep(100 * time.Microsecond)
					took.Add(1)
					l.Add([]byte(strconv.FormatInt(v, 10)))
				}
				return nil
			}))
		})
	})
	if started != 2 {
		t.Fatalf("%d instances started, want 2", started)
	}
	l.ExactlyOnce(t, n, 0)
}

// TestStopWatch: the watch's channel closes as the watched component's stop begins, before its
// Stop is called — and not at another component's stop.
func TestStopWatch(t *testing.T) {
	w := testkit.WatchStop("a")
	var atOwnStop, atOtherStop bool
	isClosed := func() bool {
		select {
		case <-w.Stopping():
			return true
		default:
			return false
		}
	}
	app := testkit.NewApp()
	app.Add("watch", w)
	app.Add("a", grace.Hook{OnStop: func(context.Context) error { atOwnStop = isClosed(); return nil }})
	app.Add("b", grace.Hook{OnStop: func(context.Context) error { atOtherStop = isClosed(); return nil }}) // stops first
	if _, err := testkit.RunAndStop(t, app); err != nil {
		t.Fatal(err)
	}
	if !atOwnStop || atOtherStop {
		t.Errorf("closed when a's Stop was called: %v, when b's was: %v; want true, false", atOwnStop, atOtherStop)
	}
}

// TestImplements: a component that has the interfaces given passes; one it lacks, or something
// that is not a pointer to an interface, fails naming it.
func TestImplements(t *testing.T) {
	hook := grace.Hook{}
	if got := failures(t, func(tb testing.TB) {
		testkit.Implements(tb, hook, (*grace.Starter)(nil), (*grace.Stopper)(nil))
	}); got != "" {
		t.Errorf("a Hook as Starter and Stopper: %q, want no failure", got)
	}
	got := failures(t, func(tb testing.TB) { testkit.Implements(tb, hook, (*grace.Accounter)(nil), "Thing") })
	if !strings.Contains(got, "not a grace.Accounter") || !strings.Contains(got, "string: not a pointer") {
		t.Errorf("failures %q, want the Accounter and the string named", got)
	}
}

// TestCut: an error that matches grace.ErrCut and holds a grace.CutError is a cut error, with its
// count; a CutError that does not match ErrCut, or ErrCut alone, is not.
func TestCut(t *testing.T) {
	in := &grace.InUseError{Unit: "connections", InUse: 3, Forced: 2}
	if n, unit, ok := testkit.Cut(fmt.Errorf("stop: %w", in)); !ok || n != 2 || unit != "connections" {
		t.Errorf("Cut(wrapped InUseError) = %d %q %v, want 2 connections", n, unit, ok)
	}
	if _, _, ok := testkit.Cut(&grace.InUseError{Unit: "connections", InUse: 3}); ok {
		t.Error("an InUseError that forced nothing (not ErrCut) counted as a cut error")
	}
	if _, _, ok := testkit.Cut(grace.ErrCut); ok {
		t.Error("ErrCut without a CutError counted as a cut error")
	}
}
