package gracetest

import (
	"context"
	"sync"
)

// Hung is a component whose Start, Drain or Stop (chosen when made) blocks, ignoring its
// context, until Release — the shape of a Close that never returns. Release it (t.Cleanup) so the
// test leaves no goroutine behind.
type Hung struct {
	op       string
	once     sync.Once
	release  chan struct{}
	entered  chan struct{}
	enterOne sync.Once
}

// Hang returns a component that hangs in op: "start", "drain" or "stop".
func Hang(op string) *Hung {
	return &Hung{op: op, release: make(chan struct{}), entered: make(chan struct{})}
}

// Entered is closed once the hanging call has begun.
func (h *Hung) Entered() <-chan struct{} { return h.entered }

// Release lets the hanging call return. Safe to call more than once.
func (h *Hung) Release() { h.once.Do(func() { close(h.release) }) }

func (h *Hung) block(op string) error {
	if op != h.op {
		return nil
	}
	h.enterOne.Do(func() { close(h.entered) })
	<-h.release
	return nil
}

// Start hangs if the component was made to hang in start.
func (h *Hung) Start(context.Context) error { return h.block("start") }

// Drain hangs if the component was made to hang in drain.
func (h *Hung) Drain(context.Context) error { return h.block("drain") }

// Stop hangs if the component was made to hang in stop.
func (h *Hung) Stop(context.Context) error { return h.block("stop") }
