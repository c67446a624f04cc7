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
	stopReady(t, app)
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

// recorder is an Observer component, written as a user would from Observer's doc: it follows the
// app's events with no WithObserver option and no other method.
type recorder struct {
	mu     sync.Mutex
	kinds  map[grace.EventKind]int
	phases []grace.Phase
	own    int // events about the recorder itself
}

func (r *recorder) Observe(e grace.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kinds == nil {
		r.kinds = map[grace.EventKind]int{}
	}
	r.kinds[e.Kind]++
	if e.Kind == grace.EventPhase {
		r.phases = append(r.phases, e.Phase)
	}
	if e.Component == "recorder" {
		r.own++
	}
}

func TestObserverComponentFollowsTheRun(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	app := newApp(grace.WithObserver(func(e grace.Event) {
		if e.Kind == grace.EventPhase && e.Phase == grace.PhaseReady {
			note("option")
		}
	}))
	rec := &recorder{}
	app.Add("recorder", rec)
	app.Add("late", observeFunc(func(e grace.Event) {
		if e.Kind == grace.EventPhase && e.Phase == grace.PhaseReady {
			note("component")
		}
	}))
	app.Add("db", grace.Hook{})
	done := runUntilReady(t, app)
	app.Stop("test")
	if r := wait(t, done); r.Err != nil {
		t.Fatalf("run: %v", r.Err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.phases) != 6 || rec.phases[0] != grace.PhaseStarting || rec.phases[5] != grace.PhaseStopped {
		t.Errorf("phases seen by the component: %v", rec.phases)
	}
	if rec.kinds[grace.EventStarted] != 3 || rec.kinds[grace.EventStopped] != 3 {
		t.Errorf("component events: %v", rec.kinds)
	}
	if rec.own == 0 {
		t.Error("the observer did not see its own events")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 2 || order[0] != "option" || order[1] != "component" {
		t.Errorf("observers called in order %v, want option then component", order)
	}
}

type observeFunc func(grace.Event)

func (f observeFunc) Observe(e grace.Event) { f(e) }
