package grace_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

func signalApp(sigs *gracetest.Signals, opts ...grace.Option) *grace.App {
	return grace.New(append([]grace.Option{grace.WithSignalSource(sigs), grace.WithLogger(quiet)}, opts...)...)
}

func TestFirstSignalStopsGracefully(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := &gracetest.Signals{}
		app := signalApp(sigs, grace.WithDrainDelay(2*time.Second))
		app.Add("http", sleeper(time.Second))
		done := runUntilReady(t, app)
		sigs.Send(syscall.SIGTERM)
		rep := <-done
		if rep.Trigger.Kind != grace.TriggerSignal || rep.Trigger.Signal != syscall.SIGTERM.String() {
			t.Errorf("trigger %+v", rep.Trigger)
		}
		if rep.ExitCode != grace.ExitClean || rep.StopDuration != 3*time.Second {
			t.Errorf("exit %d after %v, want clean after delay 2s + stop 1s", rep.ExitCode, rep.StopDuration)
		}
		if !sigs.Restored() {
			t.Error("signal handling not restored after Run")
		}
	})
}

func TestSecondSignalSkipsDelayAndShortensBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := &gracetest.Signals{}
		app := signalApp(sigs, grace.WithDrainDelay(10*time.Second), grace.WithBudget(20*time.Second),
			grace.WithEscalatedBudget(3*time.Second))
		app.Add("slow", sleeper(time.Hour))
		done := runUntilReady(t, app)
		sigs.Send(syscall.SIGTERM)
		<-app.Await(grace.PhaseDraining)
		time.Sleep(time.Second)
		sigs.Send(syscall.SIGINT)
		rep := <-done
		if rep.DelayEndedBy != "signal" || rep.Delay != time.Second {
			t.Errorf("delay ended by %q after %v, want signal after 1s", rep.DelayEndedBy, rep.Delay)
		}
		// 1s until the second signal, then 3s of escalated budget, not the 20s budget.
		if rep.StopDuration != 4*time.Second {
			t.Errorf("stop took %v, want 4s", rep.StopDuration)
		}
		if !strings.Contains(rep.Component("slow").Error, "escalated budget") {
			t.Errorf("slow: %q", rep.Component("slow").Error)
		}
	})
}

func TestThirdSignalForcesExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := &gracetest.Signals{}
		hung := gracetest.Hang("stop")
		app := signalApp(sigs, grace.WithBudget(time.Minute))
		app.Add("stuck", hung)
		done := runUntilReady(t, app)
		sigs.Send(syscall.SIGTERM)
		<-hung.Entered()
		sigs.Send(syscall.SIGTERM)
		sigs.Send(syscall.SIGTERM)
		rep := <-done
		hung.Release()
		if rep.ExitCode != grace.ExitForced || !errors.Is(rep.Err, grace.ErrForced) {
			t.Errorf("exit %d err %v", rep.ExitCode, rep.Err)
		}
		if rep.StopDuration != 0 {
			t.Errorf("forced exit took %v, want at once", rep.StopDuration)
		}
		if !strings.Contains(rep.Forensics, "Hung") || !strings.Contains(rep.Component("stuck").Goroutines, "Hung") {
			t.Errorf("no goroutine dump:\n%s", rep)
		}
	})
}

func TestSignalAfterProgrammaticStopEscalates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sigs := &gracetest.Signals{}
		app := signalApp(sigs, grace.WithDrainDelay(10*time.Second))
		app.Add("a", grace.Hook{})
		done := runUntilReady(t, app)
		app.Stop("deploy")
		<-app.Await(grace.PhaseDraining)
		sigs.Send(syscall.SIGTERM)
		rep := <-done
		if rep.DelayEndedBy != "signal" || rep.Trigger.Kind != grace.TriggerStop {
			t.Errorf("delay ended by %q, trigger %+v", rep.DelayEndedBy, rep.Trigger)
		}
	})
}

func TestNoSignalsWhenDisabled(t *testing.T) {
	sigs := &gracetest.Signals{}
	app := signalApp(sigs, grace.WithSignals())
	done := runUntilReady(t, app)
	if sigs.Listening() != 0 {
		t.Error("listening for signals although WithSignals() was given none")
	}
	app.Stop("x")
	wait(t, done)
	_ = context.Background()
}

// Main keeps the signals caught until the process exits (a signal while the report is logged
// cannot end the process with another code), and gives them back if its exit function returns.
func TestMainKeepsSignalsUntilExit(t *testing.T) {
	sigs := &gracetest.Signals{}
	caughtAtExit := -1
	app := signalApp(sigs, grace.WithExit(func(int) { caughtAtExit = sigs.Listening() }))
	app.Add("a", grace.Hook{})
	go func() {
		<-app.Await(grace.PhaseReady)
		sigs.Send(syscall.SIGTERM)
	}()
	app.Main()
	if caughtAtExit != 1 {
		t.Errorf("%d channels listening when exit was called, want 1", caughtAtExit)
	}
	if !sigs.Restored() {
		t.Error("signal handling not restored after the exit function returned")
	}
}
