package testkit

import (
	"testing"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

// Signalled is an app run in the background that takes its signals from a [gracetest.Signals]:
// the test sends it SIGTERM as the system would, without signalling its own process.
type Signalled struct {
	*Running
	App     *grace.App
	Signals *gracetest.Signals
}

// RunSignalled builds an app whose signal source is a new [gracetest.Signals] (listening for
// grace's default signals) and that logs nothing, with opts after those defaults; lets add add
// its components; runs it as [Run] does (stopped when the test ends); and waits at most
// [ReadyWait] until it is ready. It fails t, naming Run's error, if the app is not exactly ready
// then (a failed start, or a stop that came first).
func RunSignalled(t testing.TB, add func(*grace.App), opts ...grace.Option) *Signalled {
	t.Helper()
	sigs := &gracetest.Signals{}
	app := grace.New(append([]grace.Option{grace.WithSignalSource(sigs), grace.WithLogger(QuietLogger())}, opts...)...)
	add(app)
	s := &Signalled{Running: Run(t, app), App: app, Signals: sigs}
	Await(t, app.Await(grace.PhaseReady), ReadyWait, "the app to be ready")
	if app.Phase() != grace.PhaseReady {
		t.Fatalf("app did not start: %v", s.Wait(t).Err)
	}
	return s
}
