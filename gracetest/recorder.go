package gracetest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gracekit/grace"
)

// Recorder records the order in which components start, drain and stop. The zero value is ready
// to use and safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

// Event is one recorded call.
type Event struct {
	Op        string // "start", "drain" or "stop"
	Component string
}

// Hook returns a component that records its start, drain and stop under name, then calls the
// matching function of h, if set.
func (r *Recorder) Hook(name string, h grace.Hook) grace.Hook {
	wrap := func(op string, f func(context.Context) error) func(context.Context) error {
		return func(ctx context.Context) error {
			r.Record(op, name)
			if f != nil {
				return f(ctx)
			}
			return nil
		}
	}
	return grace.Hook{OnStart: wrap("start", h.OnStart), OnDrain: wrap("drain", h.OnDrain), OnStop: wrap("stop", h.OnStop)}
}

// Record adds an event; components of your own can call it.
func (r *Recorder) Record(op, component string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, Event{op, component})
}

// Events returns every event so far, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Order returns the components in the order op happened to them.
func (r *Recorder) Order(op string) []string {
	var out []string
	for _, e := range r.Events() {
		if e.Op == op {
			out = append(out, e.Component)
		}
	}
	return out
}

// Before fails t unless op happened to first before it happened to second (and to both).
func (r *Recorder) Before(t testing.TB, op, first, second string) {
	t.Helper()
	order := r.Order(op)
	i, j := slices.Index(order, first), slices.Index(order, second)
	switch {
	case i < 0:
		t.Errorf("%s of %q never happened (order %v)", op, first, order)
	case j < 0:
		t.Errorf("%s of %q never happened (order %v)", op, second, order)
	case i > j:
		t.Errorf("%s of %q happened after %q, want before (order %v)", op, first, second, order)
	}
}
