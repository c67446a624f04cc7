package grace

import (
	"fmt"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind int

// The kinds of event.
const (
	EventPhase     EventKind = iota + 1 // the app entered Event.Phase
	EventStarted                        // a component's start ended (Err set if it failed)
	EventDrained                        // a component's Drain ended
	EventStopped                        // a component's stop ended, or it was abandoned (TimedOut)
	EventAbandoned                      // a component overran its limit and was given up on
	EventStopping                       // a component's turn to stop has come (its stop begins)
)

func (k EventKind) String() string {
	switch k {
	case EventPhase:
		return "phase"
	case EventStarted:
		return "started"
	case EventDrained:
		return "drained"
	case EventStopped:
		return "stopped"
	case EventAbandoned:
		return "abandoned"
	case EventStopping:
		return "stopping"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Observer is a component that follows the app's events. The engine finds Observe on a component
// added with [App.Add] as it finds Drain or Stop, and calls it for every [Event] of the run from
// the moment Run begins — including the component's own events — exactly as it calls the
// functions given to [WithObserver] (after them, in the order the components were added), with
// the same rules: Observe must be quick and safe for concurrent use, must not call back into the
// App's blocking methods, and a panic in it is not recovered. An Observer needs no other method
// to be a component.
type Observer interface {
	Observe(Event)
}

// Event is one step of a run, as delivered to an [Observer] and to [WithObserver]'s function: what
// telemetry (graceotel), service managers (gracesystemd STATUS=) and dashboards follow.
type Event struct {
	Kind      EventKind
	At        time.Time
	Phase     Phase         // for EventPhase
	Component string        // for component events
	Duration  time.Duration // how long the start, drain or stop took
	Err       error
	// Account is, on EventStopped and EventAbandoned, what the component lost or handed back so
	// far (see [Accounter]); the report holds the final figures.
	Account Account
	// Trigger is what started the stop, set on every event from PhaseDraining (or, after a
	// failed start, PhaseStopping) on.
	Trigger *Trigger
}

// WithObserver adds a function called for every [Event], synchronously, from the engine's
// goroutines — possibly from several at once. It must be quick and safe for concurrent use, and
// must not call back into the App's blocking methods. A panic in it is not recovered. Observers
// add up: each one given is called, in the order given.
func WithObserver(f func(Event)) Option {
	return option{"WithObserver", func(c *config) {
		if f != nil {
			c.observers = append(c.observers, f)
		}
	}}
}

func (a *App) emit(e Event) {
	if len(a.cfg.observers) == 0 {
		return
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Trigger == nil {
		e.Trigger = a.triggered()
	}
	for _, f := range a.cfg.observers {
		f(e)
	}
}
