package grace_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

// phaseLog records every phase the app passes through, as seen from outside.
func phaseLog(app *grace.App) func() []grace.Phase {
	var seen []grace.Phase
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := grace.PhaseStarting; p <= grace.PhaseStopped; p++ {
			<-app.Await(p)
			seen = append(seen, app.Phase())
		}
	}()
	return func() []grace.Phase { <-done; return seen }
}

func TestPhasesInOrderAndReadinessFlipsFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(grace.WithDrainDelay(5 * time.Second))
		var readyDuringDrain, liveDuringDrain = true, false
		var stoppedAt time.Duration
		begin := time.Now()
		app.Add("lb-registration", grace.Hook{OnDrain: func(context.Context) error {
			readyDuringDrain, liveDuringDrain = app.Ready(), app.Live()
			return nil
		}})
		app.Add("http", grace.Hook{OnStop: func(context.Context) error {
			stoppedAt = time.Since(begin)
			return nil
		}})
		phases := phaseLog(app)
		done := runUntilReady(t, app)
		begin = time.Now()
		app.Stop("test")
		rep := <-done
		got := phases()
		want := []grace.Phase{grace.PhaseStarting, grace.PhaseReady, grace.PhaseDraining, grace.PhaseDelayOver, grace.PhaseStopping, grace.PhaseStopped}
		// Each Await fires in order; a fast app may have moved on by the time we look.
		for i, p := range got {
			if p < want[i] {
				t.Errorf("phase %d observed as %v, want at least %v", i, p, want[i])
			}
		}
		if readyDuringDrain || !liveDuringDrain {
			t.Errorf("during drain: ready=%v live=%v, want not ready, live", readyDuringDrain, liveDuringDrain)
		}
		if stoppedAt != 5*time.Second {
			t.Errorf("http stopped %v after the trigger, want after the 5s drain delay", stoppedAt)
		}
		if rep.DelayEndedBy != "elapsed" || rep.Delay != 5*time.Second {
			t.Errorf("delay ended by %q after %v", rep.DelayEndedBy, rep.Delay)
		}
		var names []grace.Phase
		for _, p := range rep.Phases {
			names = append(names, p.Phase)
		}
		if !slices.Equal(names, want) {
			t.Errorf("report phases %v, want %v", names, want)
		}
	})
}

type quietComponent struct{ ch chan struct{} }

func (q quietComponent) Quiet() <-chan struct{} { return q.ch }

func TestQuietComponentsEndTheDelayEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := quietComponent{make(chan struct{})}, quietComponent{make(chan struct{})}
		app := newApp(grace.WithDrainDelay(10 * time.Second))
		app.Add("a", a)
		app.Add("b", b)
		done := runUntilReady(t, app)
		app.Stop("test")
		go func() {
			time.Sleep(time.Second)
			close(a.ch)
			time.Sleep(time.Second) // the delay lasts until the last one is quiet
			close(b.ch)
		}()
		rep := <-done
		if rep.DelayEndedBy != "quiet" || rep.Delay != 2*time.Second {
			t.Errorf("delay ended by %q after %v, want quiet after 2s", rep.DelayEndedBy, rep.Delay)
		}
	})
}

func TestQuietNeverComesDelayElapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(grace.WithDrainDelay(3 * time.Second))
		app.Add("a", quietComponent{make(chan struct{})})
		rep := stopReady(t, app)
		if rep.DelayEndedBy != "elapsed" || rep.Delay != 3*time.Second {
			t.Errorf("delay ended by %q after %v", rep.DelayEndedBy, rep.Delay)
		}
	})
}

func TestDrainHooksRunConcurrentlyAndAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp(grace.WithDrainDelay(time.Second))
		app.Add("registry", grace.Hook{OnDrain: func(ctx context.Context) error {
			<-ctx.Done() // an unreachable registry
			return ctx.Err()
		}}, grace.StopTimeout(4*time.Second))
		app.Add("http", grace.Hook{})
		rep := stopReady(t, app)
		if rep.StopDuration != 4*time.Second {
			t.Errorf("stop took %v; the drain hook's 4s limit should bound it", rep.StopDuration)
		}
		if c := rep.Component("registry"); c.Error == "" || rep.ExitCode != grace.ExitStopFailed {
			t.Errorf("registry: %+v, exit %d", c, rep.ExitCode)
		}
	})
}
