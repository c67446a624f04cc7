package grace

import (
	"context"
	"sync"
	"time"
)

// Ticker returns a component that calls job every interval until its turn to stop. At that turn
// it lets the tick in progress finish, starts no new one, and returns; job's ctx is cancelled
// only when the component's stop deadline passes (the hard stop). An error from job stops the app
// (see [Runner]); make job return nil for errors it can live with. The first tick comes one
// interval after start. A non-positive interval is a configuration error reported by [App.Run].
func Ticker(interval time.Duration, job func(ctx context.Context) error) interface {
	Runner
	Stopper
} {
	return &loop{interval: interval, tick: job}
}

// Consume returns a component that calls handle for every value received from ch, one at a time,
// until ch is closed (the worker is then done) or its turn to stop comes — whichever is first, so
// a channel nobody closes never holds the stop. At its turn it finishes the value in hand and
// returns; handle's ctx is cancelled only when the stop deadline passes. Values still buffered in
// ch are left there: close ch from the producer, stopped first, to have them handled.
func Consume[T any](ch <-chan T, handle func(ctx context.Context, v T) error) interface {
	Runner
	Stopper
} {
	return &loop{next: func(ctx context.Context, stop <-chan struct{}) (func(context.Context) error, bool) {
		select {
		case v, ok := <-ch:
			if !ok {
				return nil, false
			}
			return func(ctx context.Context) error { return handle(ctx, v) }, true
		case <-stop:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}}
}

// loop is the shared shape of Ticker and Consume: wait for the next piece of work, do it whole,
// and stop between pieces.
type loop struct {
	interval time.Duration
	tick     func(context.Context) error
	next     func(ctx context.Context, stop <-chan struct{}) (func(context.Context) error, bool)

	once     sync.Once
	stopOnce sync.Once
	stopping chan struct{}
}

func (l *loop) init() { l.once.Do(func() { l.stopping = make(chan struct{}) }) }

func (l *loop) validate() error {
	if l.next == nil && l.interval <= 0 {
		return errNonPositive("ticker interval", l.interval)
	}
	return nil
}

// Run does the work until Stop is called or ctx is cancelled.
func (l *loop) Run(ctx context.Context) error {
	l.init()
	if l.next != nil {
		for {
			work, ok := l.next(ctx, l.stopping)
			if !ok {
				return nil
			}
			if err := work(ctx); err != nil {
				return err
			}
		}
	}
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			// A stop that raced the tick wins: no new work after the turn to stop.
			select {
			case <-l.stopping:
				return nil
			default:
			}
			if err := l.tick(ctx); err != nil {
				return err
			}
		case <-l.stopping:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// Stop asks the loop to finish the work in hand and return. It does not wait: the engine waits
// for Run. Safe to call more than once.
func (l *loop) Stop(context.Context) error {
	l.init()
	l.stopOnce.Do(func() { close(l.stopping) })
	return nil
}
