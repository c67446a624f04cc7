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

// loop is a Ticker: wait for the next tick, do it whole, and stop between ticks.
type loop struct {
	interval time.Duration
	tick     func(context.Context) error

	once     sync.Once
	stopOnce sync.Once
	stopping chan struct{}
}

func (l *loop) init() { l.once.Do(func() { l.stopping = make(chan struct{}) }) }

func (l *loop) validate() error {
	if l.interval <= 0 {
		return errNonPositive("ticker interval", l.interval)
	}
	return nil
}

// Run does the work until Stop is called or ctx is cancelled.
func (l *loop) Run(ctx context.Context) error {
	l.init()
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
