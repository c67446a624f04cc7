package testkit

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/chans"
)

// Deadlines of the app helpers. They only matter when a test fails: a healthy app becomes ready
// and stops in milliseconds.
const (
	ReadyWait = 20 * time.Second // for an app to become ready
	StopWait  = 30 * time.Second // for an app's Run to return
)

// QuietLogger returns a logger that discards everything, for apps and components under test.
func QuietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// NewApp returns an app for a test: it ignores signals (the test stops it, or sends a signal
// it asked for in opts) and logs nothing. opts come after those defaults and override them.
func NewApp(opts ...grace.Option) *grace.App {
	return grace.New(append([]grace.Option{grace.WithSignals(), grace.WithLogger(QuietLogger())}, opts...)...)
}

// Result is what an app's Run returned.
type Result struct {
	Report *grace.Report
	Err    error
}

// Running is an app that [Run] runs in the background.
type Running struct {
	app   *grace.App
	ended chan struct{} // closed once Run has returned and res is set
	res   Result
}

// Run runs app in the background and returns at once. When the test ends, app is stopped and
// Run waited for (at most [StopWait]; past it the test fails), so a test that fails halfway
// leaves no app running into the next test.
func Run(t testing.TB, app *grace.App) *Running {
	t.Helper()
	r := &Running{app: app, ended: make(chan struct{})}
	go func() {
		rep, err := app.Run(context.Background())
		r.res = Result{Report: rep, Err: err}
		close(r.ended)
	}()
	t.Cleanup(func() {
		app.Stop("test ended")
		timer := time.NewTimer(StopWait)
		defer timer.Stop()
		select {
		case <-r.ended:
		case <-timer.C:
			t.Errorf("app still running %v after the test ended", StopWait)
		}
	})
	return r
}

// Ready waits until the app is ready ([grace.PhaseReady]) and then until every channel in also
// is closed, at most [ReadyWait] in all. If the app stops without having been ready (a failed
// start), or Run returns before a channel in also is closed, or the deadline passes, it fails t,
// naming Run's error and report.
func (r *Running) Ready(t testing.TB, also ...<-chan struct{}) {
	t.Helper()
	timer := time.NewTimer(ReadyWait)
	defer timer.Stop()
	select {
	case <-r.app.Await(grace.PhaseReady): // or any later phase: phases can be skipped
	case <-timer.C:
		t.Fatalf("app not ready after %v", ReadyWait)
	}
	// App.Await's channel can close an instant before App.Phase moves on: only a later phase
	// says that the app may have skipped ready.
	if r.app.Phase() > grace.PhaseReady {
		res := r.Wait(t)
		// Ready means every component started; a skipped phase is still listed in the report.
		if slices.ContainsFunc(res.Report.Components, func(c grace.ComponentReport) bool {
			return c.State == grace.StateNotStarted || c.State == grace.StateFailed
		}) {
			t.Fatalf("app stopped before it was ready: %v\n%s", res.Err, res.Report)
		}
	}
	for i, ch := range also {
		select {
		case <-ch:
		case <-r.ended:
			if !chans.Closed(ch) {
				t.Fatalf("app stopped before channel %d of %d was closed: %v\n%s", i+1, len(also), r.res.Err, r.res.Report)
			}
		case <-timer.C:
			t.Fatalf("app ready, but channel %d of %d not closed after %v", i+1, len(also), ReadyWait)
		}
	}
}

// Ended returns a channel that is closed once the app's Run has returned.
func (r *Running) Ended() <-chan struct{} { return r.ended }

// Wait waits until the app's Run returns, at most [StopWait], and returns what it returned. It
// does not stop the app. It can be called more than once.
func (r *Running) Wait(t testing.TB) Result {
	t.Helper()
	Await(t, r.ended, StopWait, "the app's Run to return")
	return r.res
}

// RunAndStop runs app, waits as [Running.Ready] does (for ready, then for every channel in
// also), stops it with App.Stop("test"), and returns what Run returned.
func RunAndStop(t testing.TB, app *grace.App, also ...<-chan struct{}) (*grace.Report, error) {
	t.Helper()
	r := Run(t, app)
	r.Ready(t, also...)
	app.Stop("test")
	res := r.Wait(t)
	return res.Report, res.Err
}

// StoppedWithin returns the report of the component called name, failing t unless the component
// was stopped — not abandoned — in less than limit: the check that a component whose dependency
// became unreachable still ends its stop within its own limit.
func StoppedWithin(t testing.TB, rep *grace.Report, name string, limit time.Duration) *grace.ComponentReport {
	t.Helper()
	c := rep.Component(name)
	switch {
	case c == nil:
		t.Fatalf("no component %q in the report\n%s", name, rep)
	case c.State != grace.StateStopped || c.Stop >= limit:
		t.Fatalf("%s: state %q after %v, want stopped within its limit %v\n%s", name, c.State, c.Stop, limit, rep)
	}
	return c
}
