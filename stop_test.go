package grace_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

func TestHungComponentIsAbandonedAndEverythingElseStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec gracetest.Recorder
		hung := gracetest.Hang("stop")
		defer hung.Release()
		app := newApp(grace.WithBudget(10 * time.Second))
		app.Add("db", rec.Hook("db", grace.Hook{}))
		app.Add("broker", rec.Hook("broker", grace.Hook{}), grace.DependsOn("db"))
		app.Add("exporter", hung, grace.DependsOn("broker"), grace.StopTimeout(2*time.Second))
		app.Add("http", rec.Hook("http", grace.Hook{}), grace.DependsOn("db"))
		app.Add("metrics", rec.Hook("metrics", grace.Hook{}), grace.Independent())
		rep := stopReady(t, app)

		// Everything else stopped, including what the hung component depends on (closers of
		// infrastructure always run), and only once the hung one was given up on.
		for _, n := range []string{"db", "broker", "http", "metrics"} {
			if !slices.Contains(rec.Order("stop"), n) {
				t.Errorf("%s never stopped", n)
			}
		}
		if rep.StopDuration != 2*time.Second {
			t.Errorf("stop took %v, want the hung component's 2s limit", rep.StopDuration)
		}
		c := rep.Component("exporter")
		if c.State != grace.StateAbandoned || !c.TimedOut {
			t.Errorf("exporter: %+v", c)
		}
		if !strings.Contains(c.Goroutines, "gracetest.(*Hung).block") {
			t.Errorf("the report does not show where exporter hangs:\n%s", c.Goroutines)
		}
		if !strings.Contains(c.Error, "stop exporter: timed out after 2s (component limit)") {
			t.Errorf("error %q does not name the component and its limit", c.Error)
		}
		if rep.ExitCode != grace.ExitStopFailed {
			t.Errorf("exit %d, want %d", rep.ExitCode, grace.ExitStopFailed)
		}
		var ce *grace.ComponentError
		if !errors.As(rep.Err, &ce) || ce.Component != "exporter" || !errors.Is(rep.Err, grace.ErrTimeout) || !errors.Is(rep.Err, context.DeadlineExceeded) {
			t.Errorf("err %v", rep.Err)
		}
		hung.Release()
	})
}

func TestBudgetBoundsTheWholeStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hung := gracetest.Hang("stop")
		defer hung.Release()
		app := newApp(grace.WithBudget(3*time.Second), grace.WithDrainDelay(time.Second))
		app.Add("a", sleeper(time.Hour))
		app.Add("b", hung, grace.Independent())
		rep := stopReady(t, app)
		if rep.StopDuration != 3*time.Second {
			t.Errorf("stop took %v, want the 3s budget", rep.StopDuration)
		}
		if rep.ExitCode != grace.ExitStopFailed || !strings.Contains(rep.Forensics, "gracetest.(*Hung).block") {
			t.Errorf("exit %d, forensics %q", rep.ExitCode, rep.Forensics)
		}
		hung.Release()
		// The budget, not a's own limit (the whole budget, from its turn on), cut a.
		if !strings.Contains(rep.Component("a").Error, "(budget)") {
			t.Errorf("a: %q", rep.Component("a").Error)
		}
	})
}

func TestStopErrorsAreJoinedAndOthersStillStop(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{OnStop: func(context.Context) error { return errors.New("db close failed") }}))
	app.Add("cache", rec.Hook("cache", grace.Hook{OnStop: func(context.Context) error { panic("cache") }}))
	app.Add("http", rec.Hook("http", grace.Hook{}))
	rep := stopReady(t, app)
	if got := rec.Order("stop"); !slices.Equal(got, []string{"http", "cache", "db"}) {
		t.Errorf("stop order %v", got)
	}
	if !errors.Is(rep.Err, grace.ErrPanic) || !strings.Contains(rep.Error, "stop db: db close failed") {
		t.Errorf("err %v", rep.Err)
	}
	if rep.ExitCode != grace.ExitStopFailed {
		t.Errorf("exit %d", rep.ExitCode)
	}
}
