package testkit_test

import (
	"context"
	"strconv"
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
