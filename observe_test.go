package grace_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/gracekit/grace"
)

func TestObserverSeesPhasesAndComponents(t *testing.T) {
	var mu sync.Mutex
	var events []grace.Event
	second := 0
	app := newApp(grace.WithObserver(func(e grace.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}), grace.WithObserver(func(grace.Event) { mu.Lock(); second++; mu.Unlock() }))
	app.Add("db", grace.Hook{OnStop: func(context.Context) error { return errBoom }})
	app.Add("http", grace.Hook{})
	done := runUntilReady(t, app)
	app.Stop("test")
	wait(t, done)
	mu.Lock()
	defer mu.Unlock()
	var phases []grace.Phase
	stopped := map[string]error{}
	started, stopping := 0, 0
	for _, e := range events {
		switch e.Kind {
		case grace.EventPhase:
			phases = append(phases, e.Phase)
		case grace.EventStopped:
			stopped[e.Component] = e.Err
		case grace.EventStarted:
			started++
		case grace.EventStopping:
			stopping++
			if e.Trigger == nil || e.Trigger.Reason != "test" {
				t.Errorf("stopping event without the trigger: %+v", e)
			}
		}
	}
	if len(phases) != 6 || phases[0] != grace.PhaseStarting || phases[5] != grace.PhaseStopped {
		t.Errorf("phases %v", phases)
	}
	if second != len(events) {
		t.Errorf("second observer saw %d of %d events", second, len(events))
	}
	if stopping != 2 || started != 2 || len(stopped) != 2 || !errors.Is(stopped["db"], errBoom) || stopped["http"] != nil {
		t.Errorf("started %d, stopped %v", started, stopped)
	}
}
