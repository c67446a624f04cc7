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
