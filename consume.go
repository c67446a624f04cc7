package grace

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Consume returns a component that calls handle for every value received from ch, one value at a
// time, and keeps an [Account] of the values it did not handle.
//
// Before its turn to stop, it handles values as they arrive. If ch is closed, it handles what
// was sent before the close and its worker is done (state "done" in the report).
//
// At its turn to stop — after every component that depends on it stopped, so producers that
// depend on it have stopped sending — it finishes the value in hand, then handles the values
// already buffered in ch: everything sent before the close when ch is closed, and when nobody
// closes ch, values until it finds ch empty (a producer blocked in a send is served too); then
// it returns. A channel nobody closes never holds the stop. All of this is bounded by the
// component's stop deadline ([StopTimeout], capped by the app's budget): when it passes,
// handle's ctx is cancelled, no further value is taken, and the component is reported as timed
// out. With [LeaveBuffered], it returns after the value in hand and leaves the rest.
//
// So the producer → queue → writer shape loses nothing when the writer can catch up within its
// limit: register the writer before its producers (or make them depend on it), stop producing at
// their turn, and — optionally — close ch in a [Hook] that stops after the producers; whatever
// they put in ch before their stop is handled.
//
// handle returning an error (or panicking, or calling runtime.Goexit) before the stop stops the
// app, as a [Runner]'s error does, and at its turn the component still drains what is buffered;
// during the drain, it ends the drain (the rest is left, and counted) and fails the stop. With
// [RestartOnPanic] a panic instead restarts the worker; a stop that comes while it waits to
// restart is still drained, by the component's Stop.
//
// Account reports, in unit "values", as Lost: the values left in ch when it is called, the value
// in hand if handle is still running (a stop abandoned at its deadline), and every value whose
// handle returned an error or panicked — such as a value cut at the deadline whose handle
// returned ctx's error. A value whose handle returned nil counts as handled, even after the
// deadline. Values never received by a Consume that never started are not counted: the engine
// reads the accounts of started components only. A nil ch or handle is a configuration error
// reported by [App.Run].
func Consume[T any](ch <-chan T, handle func(ctx context.Context, v T) error, opts ...ConsumeOption) interface {
	Runner
	Stopper
	Accounter
} {
	c := &consumer[T]{ch: ch, handle: handle, stopping: make(chan struct{}), token: make(chan struct{}, 1)}
	for _, o := range opts {
		if o != nil {
			o.applyConsume(&c.cfg)
		}
	}
	return c
}

// ConsumeOption configures [Consume].
type ConsumeOption interface {
	applyConsume(*consumeConfig)
	String() string
}

type consumeConfig struct {
	leaveBuffered bool
}

type consumeOption struct {
	name string
	f    func(*consumeConfig)
}

func (o consumeOption) applyConsume(c *consumeConfig) { o.f(c) }
func (o consumeOption) String() string                { return o.name }

// LeaveBuffered makes [Consume] stop at its turn as soon as the value in hand is handled, leaving
// the values still buffered in its channel. They are not handled, and they are counted as lost in
// its [Account] (so the stop's exit code is [ExitLost]): for a queue whose values something else
// makes up for, where a fast stop matters more.
func LeaveBuffered() ConsumeOption {
	return consumeOption{"LeaveBuffered()", func(c *consumeConfig) { c.leaveBuffered = true }}
}

type consumer[T any] struct {
	ch     <-chan T
	handle func(context.Context, T) error
	cfg    consumeConfig

	stopping chan struct{} // closed at the turn to stop
	stopOnce sync.Once
	token    chan struct{} // one slot: held by whoever receives from ch (Run, or Stop when Run is gone)

	drainFailed atomic.Bool // a value failed during the drain: no more draining

	mu     sync.Mutex
	inHand int64 // a value received and being handled
	failed int64 // values whose handle returned an error, panicked or exited
}

var errNilConsume = errors.New("Consume needs a non-nil channel and handle")

func (c *consumer[T]) validate() error {
	if c.ch == nil || c.handle == nil {
		return errNilConsume
	}
	return nil
}

// Run handles values until ch is closed, the turn to stop (then it drains), or the hard stop.
func (c *consumer[T]) Run(ctx context.Context) error {
	select {
	case c.token <- struct{}{}:
	case <-c.stopping:
		return nil // Stop has the channel: it drains
	case <-ctx.Done():
		return nil
	}
	defer func() { <-c.token }()
	for {
		select {
		case <-c.stopping: // the turn to stop wins over a value that is ready too
			return c.drain(ctx)
		default:
		}
		select {
		case v, ok := <-c.ch:
			if !ok {
				return nil
			}
			if err := c.one(ctx, v); err != nil {
				return err
			}
		case <-c.stopping:
			return c.drain(ctx)
		case <-ctx.Done():
			return nil
		}
	}
}

// Stop marks the turn to stop. Run, if it is running, drains the channel and returns; Stop waits
// for it to give the channel up, then handles what is still buffered (nothing, unless Run was
// gone — between restarts after a panic, or ended by an error). Safe to call more than once.
func (c *consumer[T]) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { close(c.stopping) })
	select {
	case c.token <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.token }()
	return c.drain(ctx)
}

// drain handles what is buffered in ch until it is empty or closed, or ctx ends. A value that
// fails (an error, a panic, a Goexit) ends the drain for good: what is left stays, counted.
func (c *consumer[T]) drain(ctx context.Context) error {
	if c.cfg.leaveBuffered || c.drainFailed.Load() {
		return nil
	}
	ended := false // by itself, not by a value that failed
	defer func() {
		if !ended {
			c.drainFailed.Store(true)
		}
	}()
	for ctx.Err() == nil {
		c.mu.Lock() // the receive and the count of the value in hand are one step for Account
		var v T
		ok := false
		select {
		case v, ok = <-c.ch:
			if ok {
				c.inHand++
			}
		default: // empty
		}
		c.mu.Unlock()
		if !ok {
			ended = true
			return nil // empty, or closed and drained
		}
		if err := c.handleInHand(ctx, v); err != nil {
			return err
		}
	}
	ended = true
	return nil
}

// one handles a value received by Run's select.
func (c *consumer[T]) one(ctx context.Context, v T) error {
	c.mu.Lock()
	c.inHand++
	c.mu.Unlock()
	return c.handleInHand(ctx, v)
}

// handleInHand calls handle for a value already counted in hand; a value that does not end with
// nil — an error, a panic, a Goexit — counts as failed.
func (c *consumer[T]) handleInHand(ctx context.Context, v T) (err error) {
	handled := false
	defer func() {
		c.mu.Lock()
		c.inHand--
		if !handled {
			c.failed++
		}
		c.mu.Unlock()
	}()
	err = c.handle(ctx, v)
	handled = err == nil
	return err
}

// Account counts as lost the values left in ch, the value in hand and the values that failed.
func (c *consumer[T]) Account() Account {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Account{Unit: "values", Lost: c.failed + c.inHand + int64(len(c.ch))}
}
