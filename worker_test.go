package grace_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

func TestWorkerRunsUntilItsTurn(t *testing.T) {
	app, rec := recordedApp("db")
	app.Add("worker", grace.RunFunc(func(ctx context.Context) error {
		<-ctx.Done()
		rec.Record("stop", "worker")
		return ctx.Err() // the cancellation is not an error
	}))
	rep := stopReady(t, app)
	rec.Before(t, "stop", "worker", "db")
	if rep.ExitCode != grace.ExitClean || rep.Component("worker").State != grace.StateStopped {
		t.Errorf("report:\n%s", rep)
	}
}

func TestWorkerErrorStopsTheApp(t *testing.T) {
	app, rec := recordedApp("db")
	app.Add("consumer", grace.RunFunc(func(ctx context.Context) error { return errBoom }))
	rep, err := app.Run(context.Background())
	if !errors.Is(err, errBoom) || rep.ExitCode != grace.ExitCrashed {
		t.Fatalf("err %v exit %d", err, rep.ExitCode)
	}
	if rep.Trigger.Kind != grace.TriggerFailure || rep.Trigger.Component != "consumer" {
		t.Errorf("trigger %+v", rep.Trigger)
	}
	if rec.Order("stop")[0] != "db" {
		t.Error("db not closed after the crash")
	}
}

func TestWorkerPanicStopsTheAppByDefault(t *testing.T) {
	app := newApp()
	app.Add("w", grace.RunFunc(func(ctx context.Context) error { panic("worker exploded") }))
	rep, err := app.Run(context.Background())
	if !errors.Is(err, grace.ErrPanic) || rep.ExitCode != grace.ExitCrashed || !rep.Component("w").Panicked {
		t.Fatalf("err %v\n%s", err, rep)
	}
	if !strings.Contains(rep.Component("w").Stack, "worker_test.go") {
		t.Error("no stack")
	}
}

func TestRestartOnPanicWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		var times []time.Duration
		begin := time.Now()
		app := newApp()
		app.Add("w", grace.RunFunc(func(ctx context.Context) error {
			times = append(times, time.Since(begin))
			if runs.Add(1) <= 3 {
				panic("flaky")
			}
			<-ctx.Done()
			return nil
		}), grace.RestartOnPanic(100*time.Millisecond, 300*time.Millisecond))
		done := runUntilReady(t, app)
		for deadline := time.Now().Add(time.Minute); runs.Load() < 4; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the worker ran %d times in a minute, want 4", runs.Load())
			}
		}
		app.Stop("test")
		rep := <-done
		want := []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond}
		for i := range want {
			if times[i] != want[i] {
				t.Fatalf("runs at %v, want %v (backoff 100ms doubling, capped at 300ms)", times, want)
			}
		}
		if c := rep.Component("w"); c.Restarts != 3 || rep.ExitCode != grace.ExitClean {
			t.Errorf("restarts %d exit %d", c.Restarts, rep.ExitCode)
		}
	})
}

func TestWorkerThatFinishesIsDone(t *testing.T) {
	app := newApp()
	finished := make(chan struct{})
	app.Add("migrate", grace.RunFunc(func(ctx context.Context) error { close(finished); return nil }))
	done := runUntilReady(t, app)
	wait(t, finished)
	app.Stop("test")
	rep := wait(t, done)
	if rep.ExitCode != grace.ExitClean {
		t.Errorf("exit %d", rep.ExitCode)
	}
}

func TestTickerFinishesTheCurrentTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ticks, finished atomic.Int32
		inTick := make(chan struct{}, 1)
		app := newApp()
		app.Add("expire", grace.Ticker(time.Second, func(ctx context.Context) error {
			ticks.Add(1)
			inTick <- struct{}{}
			select {
			case <-time.After(500 * time.Millisecond): // the tick's work
				finished.Add(1)
			case <-ctx.Done():
			}
			return nil
		}))
		done := runUntilReady(t, app)
		<-inTick
		<-inTick // second tick in progress
		app.Stop("test")
		rep := <-done
		if ticks.Load() != 2 || finished.Load() != 2 {
			t.Errorf("ticks %d finished %d, want the tick in progress finished and no new one", ticks.Load(), finished.Load())
		}
		if rep.Component("expire").Stop != 500*time.Millisecond || rep.ExitCode != grace.ExitClean {
			t.Errorf("report:\n%s", rep)
		}
	})
}

func TestTickerIsCutAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inTick := make(chan struct{})
		app := newApp()
		app.Add("expire", grace.Ticker(time.Second, func(ctx context.Context) error {
			close(inTick)
			<-ctx.Done() // a tick that would never end on its own
			return nil
		}), grace.StopTimeout(2*time.Second))
		rep := stopAfter(t, app, inTick)
		if c := rep.Component("expire"); !c.TimedOut || c.Stop != 2*time.Second {
			t.Errorf("expire: %+v", c)
		}
	})
}

func TestWorkerFailingDuringTheDrainFailsTheStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(grace.WithDrainDelay(time.Second))
		app.Add("w", grace.RunFunc(func(ctx context.Context) error {
			<-app.Await(grace.PhaseDraining)
			return errBoom // fails while the app drains, before its turn to stop
		}))
		rep := stopReady(t, app)
		if !errors.Is(rep.Err, errBoom) || rep.ExitCode != grace.ExitStopFailed || rep.Trigger.Kind != grace.TriggerStop {
			t.Errorf("err %v exit %d trigger %+v", rep.Err, rep.ExitCode, rep.Trigger)
		}
	})
}
