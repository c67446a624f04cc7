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

var errBoom = errors.New("boom")

// failAfterDB runs an app of a recorded "db" and then the component c named name, whose start
// fails, and returns the report and Run's error once db was rolled back — stopped, as the only
// component that was — or fails t.
func failAfterDB(t *testing.T, name string, c any, opts ...grace.ComponentOption) (*grace.Report, error) {
	t.Helper()
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{}))
	app.Add(name, c, opts...)
	rep, err := app.Run(context.Background())
	if got := rec.Order("stop"); !slices.Equal(got, []string{"db"}) {
		t.Errorf("rolled back %v, want [db]", got)
	}
	return rep, err
}

func TestFailedStartRollsBackWhatStarted(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{}))
	app.Add("cache", rec.Hook("cache", grace.Hook{}))
	app.Add("broken", rec.Hook("broken", grace.Hook{OnStart: func(context.Context) error { return errBoom }}))
	app.Add("http", rec.Hook("http", grace.Hook{}))
	rep, err := app.Run(context.Background())
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want boom", err)
	}
	var ce *grace.ComponentError
	if !errors.As(err, &ce) || ce.Component != "broken" || ce.Op != "start" {
		t.Errorf("err = %#v, want a ComponentError naming broken's start", ce)
	}
	if rep.ExitCode != grace.ExitStartFailed {
		t.Errorf("exit code %d, want %d", rep.ExitCode, grace.ExitStartFailed)
	}
	if got, want := rec.Order("stop"), []string{"cache", "db"}; !slices.Equal(got, want) {
		t.Errorf("rolled back %v, want %v (reverse order, only what started)", got, want)
	}
	if slices.Contains(rec.Order("start"), "http") {
		t.Error("http started after its dependency failed")
	}
	if app.Phase() != grace.PhaseStopped {
		t.Errorf("phase %v, want stopped", app.Phase())
	}
	if got := rep.Component("broken").State; got != grace.StateFailed {
		t.Errorf("broken state %q", got)
	}
	if got := rep.Component("http").State; got != grace.StateNotStarted {
		t.Errorf("http state %q", got)
	}
	if rep.Trigger.Kind != grace.TriggerFailure || rep.Trigger.Component != "broken" {
		t.Errorf("trigger %+v", rep.Trigger)
	}
}

func TestStartTimeoutRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		rep, err := failAfterDB(t, "slow", grace.Hook{OnStart: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
			grace.StartTimeout(2*time.Second))
		if !errors.Is(err, grace.ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", err)
		}
		if time.Since(begin) != 2*time.Second {
			t.Errorf("gave up after %v, want the 2s limit", time.Since(begin))
		}
		if !rep.Component("slow").TimedOut || rep.ExitCode != grace.ExitStartFailed {
			t.Errorf("report:\n%s", rep)
		}
	})
}

func TestStartPanicRollsBack(t *testing.T) {
	rep, err := failAfterDB(t, "bad", grace.Hook{OnStart: func(context.Context) error { panic("start exploded") }})
	var pe *grace.PanicError
	if !errors.As(err, &pe) || pe.Value != "start exploded" || !errors.Is(err, grace.ErrPanic) {
		t.Fatalf("err = %v, want the PanicError", err)
	}
	if c := rep.Component("bad"); !c.Panicked || !strings.Contains(c.Stack, "start_test.go") {
		t.Errorf("report lacks the panic stack: %+v", c)
	}
}

func TestStopDuringStartIsNeverLost(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{}))
	app.Add("migrate", rec.Hook("migrate", grace.Hook{OnStart: func(ctx context.Context) error {
		app.Stop("operator") // arrives while start is in progress
		<-ctx.Done()         // the start sees it
		return ctx.Err()
	}}))
	app.Add("http", rec.Hook("http", grace.Hook{}))
	rep, err := app.Run(context.Background())
	if err != nil {
		t.Fatalf("err = %v; a requested stop during start is not a failure", err)
	}
	if rep.Trigger.Kind != grace.TriggerStop || rep.Trigger.Reason != "operator" {
		t.Errorf("trigger %+v", rep.Trigger)
	}
	if slices.Contains(rec.Order("start"), "http") {
		t.Error("http started after the stop request")
	}
	if got := rec.Order("stop"); !slices.Equal(got, []string{"db"}) {
		t.Errorf("stopped %v, want [db]", got)
	}
	if rep.ExitCode != grace.ExitClean {
		t.Errorf("exit %d, want clean", rep.ExitCode)
	}
}

func TestStopBeforeRun(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{}))
	app.Stop("early")
	rep, _ := app.Run(context.Background())
	if rep.Trigger.Reason != "early" || len(rec.Order("stop")) > len(rec.Order("start")) {
		t.Errorf("trigger %+v, events %v", rep.Trigger, rec.Events())
	}
}

func TestReadyOnlyWhenEveryComponentStarted(t *testing.T) {
	release := make(chan struct{})
	app := newApp()
	app.Add("fast", grace.Hook{}, grace.Independent())
	app.Add("slow", grace.Hook{OnStart: func(context.Context) error { <-release; return nil }}, grace.Independent())
	done := make(chan *grace.Report, 1)
	go func() { rep, _ := app.Run(context.Background()); done <- rep }()
	wait(t, app.Await(grace.PhaseStarting))
	if app.Ready() {
		t.Fatal("ready while slow is still starting")
	}
	close(release)
	wait(t, app.Await(grace.PhaseReady))
	if !app.Ready() || !app.Live() {
		t.Fatalf("ready=%v live=%v after every start", app.Ready(), app.Live())
	}
	app.Stop("test")
	wait(t, done)
	if app.Ready() || app.Live() {
		t.Error("still ready or live after Run returned")
	}
}

func TestRunTwice(t *testing.T) {
	app := newApp()
	app.Stop("x")
	app.Run(context.Background())
	if _, err := app.Run(context.Background()); !errors.Is(err, grace.ErrAlreadyRun) {
		t.Errorf("second Run: %v", err)
	}
}

func TestContextEndTriggersStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	app := newApp()
	app.Add("db", grace.Hook{})
	done := make(chan *grace.Report, 1)
	go func() { rep, _ := app.Run(ctx); done <- rep }()
	wait(t, app.Await(grace.PhaseReady))
	cancel()
	rep := wait(t, done)
	if rep.Trigger.Kind != grace.TriggerContext || rep.ExitCode != grace.ExitClean {
		t.Errorf("trigger %+v exit %d", rep.Trigger, rep.ExitCode)
	}
}

func TestStopDuringAStartThatIgnoresItsContextKeepsTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		app := newApp(grace.WithBudget(2*time.Second), grace.WithStartTimeout(time.Minute))
		app.Add("db", grace.Hook{})
		app.Add("migrate", grace.Hook{OnStart: func(context.Context) error {
			app.Stop("deploy")
			<-release // ignores its context
			return nil
		}})
		begin := time.Now()
		rep, _ := app.Run(context.Background())
		// Half the budget for the start in flight, then the rollback — not the 1m start timeout.
		if took := time.Since(begin); took != time.Second {
			t.Errorf("Run took %v, want 1s (half the 2s budget)", took)
		}
		if c := rep.Component("migrate"); c.State != grace.StateAbandoned || !c.TimedOut || !strings.Contains(c.Error, "half the budget") {
			t.Errorf("migrate: %+v", c)
		}
		if rep.ExitCode != grace.ExitStopFailed {
			t.Errorf("exit %d, want %d: the stop failed, not the start", rep.ExitCode, grace.ExitStopFailed)
		}
		if rep.Component("db").State != grace.StateStopped {
			t.Errorf("db not rolled back:\n%s", rep)
		}
	})
}
