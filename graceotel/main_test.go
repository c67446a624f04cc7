package graceotel_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newApp(opts ...grace.Option) *grace.App {
	base := []grace.Option{grace.WithSignals(), grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	return grace.New(append(base, opts...)...)
}

// runAndStop runs app, stops it once ready and returns what Run returned.
func runAndStop(t *testing.T, app *grace.App) (*grace.Report, error) {
	t.Helper()
	type result struct {
		rep *grace.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := app.Run(context.Background())
		done <- result{rep, err}
	}()
	select {
	case <-app.Await(grace.PhaseReady):
	case r := <-done:
		t.Fatalf("app stopped before it was ready: %v\n%s", r.err, r.rep)
	case <-time.After(20 * time.Second):
		t.Fatal("app not ready after 20s")
	}
	app.Stop("test")
	select {
	case r := <-done:
		return r.rep, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("app did not stop within 30s")
		return nil, nil
	}
}
