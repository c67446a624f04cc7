package testkit_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

func TestRunSignalledStopsOnASentSignal(t *testing.T) {
	stopped := make(chan struct{})
	r := testkit.RunSignalled(t, func(app *grace.App) {
		app.Add("db", grace.Hook{OnStop: func(context.Context) error { close(stopped); return nil }})
	})
	if r.App.Phase() != grace.PhaseReady {
		t.Fatalf("phase %v after RunSignalled, want ready", r.App.Phase())
	}
	r.Signals.Send(syscall.SIGTERM)
	res := r.Wait(t)
	if res.Err != nil {
		t.Fatalf("Run: %v\n%s", res.Err, res.Report)
	}
	testkit.Await(t, stopped, testkit.StopWait, "db's stop")
	if !strings.Contains(res.Report.Trigger.String(), "terminated") {
		t.Fatalf("stopped by %v, want the signal sent", res.Report.Trigger)
	}
}

func TestRunSignalledFailsWhenTheStartFails(t *testing.T) {
	boom := errors.New("boom")
	msg := failures(t, func(tb testing.TB) {
		testkit.RunSignalled(tb, func(app *grace.App) {
			app.Add("db", grace.Hook{OnStart: func(context.Context) error { return boom }})
		})
	})
	if !strings.Contains(msg, "app did not start") || !strings.Contains(msg, "boom") {
		t.Fatalf("RunSignalled failed with %q", msg)
	}
}
