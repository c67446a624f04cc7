package testkit_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

// counter plays a consumer: it adds the values from next on to the ledger until its context
// ends, starting each run at the last value it added (handled again, as an uncommitted one is).
func counter(l *testkit.Ledger, n int, next *atomic.Int64) grace.RunFunc {
	return func(ctx context.Context) error {
		for v := max(next.Load()-1, 0); ; v++ {
			select {
			case <-ctx.Done():
				return nil
			default:
			}
			if v < int64(n) {
				l.Add([]byte(strconv.FormatInt(v, 10)))
				next.Store(v + 1)
			}
		}
	}
}

func TestLedgerRestarts(t *testing.T) {
	const n, runs = 3000, 4
	l := testkit.NewLedger("record")
	var next atomic.Int64
	var reasons []string
	l.Restarts(t, n, runs, func(int) *testkit.Signalled {
		return testkit.RunSignalled(t, func(app *grace.App) { app.Add("consumer", counter(l, n, &next)) })
	}, func(run int, rep *grace.Report) {
		reasons = append(reasons, rep.Trigger.String())
	})
	if len(reasons) != runs || !strings.Contains(reasons[0], "test restart") || !strings.Contains(reasons[1], "terminated") {
		t.Fatalf("runs stopped by %q, want App.Stop and SIGTERM alternately", reasons)
	}
	l.Check(t, n, 1)
}

func TestLedgerRestartsFailsOnALeftoverOrUncleanStop(t *testing.T) {
	l := testkit.NewLedger("record")
	got := failures(t, func(tb testing.TB) {
		l.Restarts(tb, 1, 1, func(int) *testkit.Signalled {
			return testkit.RunSignalled(tb, func(app *grace.App) {
				app.Add("consumer", grace.RunFunc(func(ctx context.Context) error {
					l.Add([]byte("0"))
					<-ctx.Done()
					return context.Cause(ctx) // not nil: a component that fails its stop
				}))
			})
		}, nil)
	})
	if !strings.Contains(got, "run 0:") {
		t.Fatalf("failure %q, want run 0 named", got)
	}
}
