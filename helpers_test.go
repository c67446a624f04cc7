package grace_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
	"github.com/gracekit/grace/internal/testkit"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(idleEnv); mode != "" {
		idleMain(mode) // the test binary re-run by BenchmarkIdleExit
		return
	}
	if spec := os.Getenv(queueEnv); spec != "" {
		queueMain(spec) // the test binary re-run as the queue service of queue_e2e_test.go
		return
	}
	if os.Getenv(childEnv) != "" {
		childMain() // the test binary re-run as a service by the end-to-end tests
		return
	}
	gracetest.Main(m)
}

var quiet = testkit.QuietLogger()

// newApp returns an app with no OS signals, a silent logger and the given options.
func newApp(opts ...grace.Option) *grace.App { return testkit.NewApp(opts...) }

// runUntilReady runs app in a goroutine and waits for PhaseReady (or a later phase).
func runUntilReady(t *testing.T, app *grace.App) <-chan *grace.Report {
	t.Helper()
	out := make(chan *grace.Report, 1)
	go func() {
		rep, _ := app.Run(context.Background())
		out <- rep
	}()
	select {
	case <-app.Await(grace.PhaseReady):
	case <-time.After(10 * time.Second):
		t.Fatal("app never got ready")
	}
	return out
}

// stopReady runs app until ready, stops it ("test") and returns the report (see wait).
func stopReady(t *testing.T, app *grace.App) *grace.Report { t.Helper(); return stopAfter(t, app, nil) }

// stopAfter runs app until ready, waits until ch is closed (if not nil), stops the app ("test")
// and returns the report (see wait).
func stopAfter(t *testing.T, app *grace.App, ch <-chan struct{}) *grace.Report {
	t.Helper()
	done := runUntilReady(t, app)
	if ch != nil {
		wait(t, ch)
	}
	app.Stop("test")
	return wait(t, done)
}

// recordedApp is a new app with a recorded, empty Hook for each name (see newApp).
func recordedApp(names ...string) (*grace.App, *gracetest.Recorder) {
	var rec gracetest.Recorder
	app := newApp()
	for _, n := range names {
		app.Add(n, rec.Hook(n, grace.Hook{}))
	}
	return app, &rec
}

// wait receives from ch, at most 30 s (inside a synctest bubble, 30 s of its clock).
func wait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting")
	}
	var zero T
	return zero
}

// sleeper is a Stopper whose stop takes d, or returns early with ctx's error.
func sleeper(d time.Duration) grace.StopFunc {
	return func(ctx context.Context) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// exitCode is the exit code in a child's Wait error (nil: 0); any other error fails t.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}
