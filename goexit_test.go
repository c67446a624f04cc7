package grace_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

// A Goexit (what t.FailNow does) in any of a component's calls is a failure reported at once —
// not at the limit of the call — with the stack where Goexit was called.
func TestGoexitIsAFailureReportedAtOnce(t *testing.T) {
	exit := func(context.Context) error { runtime.Goexit(); return nil }
	cases := []struct {
		op   string
		c    any
		code int
	}{
		{"start", grace.Hook{OnStart: exit}, grace.ExitStartFailed},
		{"run", grace.RunFunc(exit), grace.ExitCrashed},
		{"drain", grace.Hook{OnDrain: exit}, grace.ExitStopFailed},
		{"stop", grace.Hook{OnStop: exit}, grace.ExitStopFailed},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				begin := time.Now()
				app := newApp(grace.WithStartTimeout(time.Minute), grace.WithBudget(time.Minute))
				app.Add("x", tc.c)
				go func() {
					<-app.Await(grace.PhaseReady)
					if tc.op != "run" {
						app.Stop("test")
					}
				}()
				rep, err := app.Run(context.Background())
				var ge *grace.GoexitError
				if !errors.Is(err, grace.ErrGoexit) || !errors.As(err, &ge) {
					t.Fatalf("err %v, want one matching ErrGoexit", err)
				}
				if !strings.Contains(err.Error(), tc.op+" x:") {
					t.Errorf("err %q does not name the call", err)
				}
				// (The report may look for goroutines left behind for up to 100 ms.)
				if el := time.Since(begin); el > time.Second {
					t.Errorf("reported after %v, want at once, not at the one-minute limit", el)
				}
				c := rep.Component("x")
				if !strings.Contains(c.Stack, "goexit_test.go") || !strings.Contains(string(ge.Stack), "runtime.Goexit") {
					t.Errorf("stack does not show where Goexit was called:\n%s", c.Stack)
				}
				if rep.ExitCode != tc.code {
					t.Errorf("exit %d, want %d", rep.ExitCode, tc.code)
				}
			})
		})
	}
}
