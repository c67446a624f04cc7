package testkit

import (
	"sync"

	"github.com/gracekit/grace"
)

// StopWatch is a component that only follows the app's events (a [grace.Observer]): it tells
// when the component it watches begins its stop. The engine sends grace.EventStopping just
// before it calls that component's Stop, so a test that waits on [StopWatch.Stopping] knows the
// stop is under way, and has not yet been seen by the component.
type StopWatch struct {
	name     string
	once     sync.Once
	stopping chan struct{}
}

// WatchStop returns a StopWatch for the component called name. Add it to the app, under a name
// of its own.
func WatchStop(name string) *StopWatch {
	return &StopWatch{name: name, stopping: make(chan struct{})}
}

// Observe closes the channel Stopping returns at the watched component's grace.EventStopping.
func (w *StopWatch) Observe(e grace.Event) {
	if e.Kind == grace.EventStopping && e.Component == w.name {
		w.once.Do(func() { close(w.stopping) })
	}
}

// Stopping returns a channel closed when the watched component's stop begins.
func (w *StopWatch) Stopping() <-chan struct{} { return w.stopping }
