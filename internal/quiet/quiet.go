// Package quiet keeps a component's quiet period: once its drain has begun, a channel closed when
// no work has arrived for the period — what the engine's adaptive drain delay waits on (a
// grace.Quieter's Quiet). gracefasthttp and gracegrpc keep their quiet period with it; gracehttp
// counts its own the same way.
//
// It is internal: only code under github.com/gracekit/grace/ can import it.
package quiet

import (
	"sync"
	"sync/atomic"
	"time"
)

// Period is a quiet period. Create it with [New]; it is safe for concurrent use.
type Period struct {
	d     time.Duration
	epoch time.Time
	last  atomic.Int64 // the last arrival (or the drain's start), in nanoseconds since epoch
	ch    chan struct{}

	mu    sync.Mutex
	timer *time.Timer // set by Begin
	ended bool        // ch is closed, or Stop was called
}

// New returns a quiet period of d that has not begun. With d <= 0 it is never quiet.
func New(d time.Duration) *Period {
	return &Period{d: d, epoch: time.Now(), ch: make(chan struct{})}
}

// Done returns the channel closed once, after [Period.Begin], no work has arrived for the period;
// nil (never closed) when the period is not positive.
func (p *Period) Done() <-chan struct{} {
	if p.d <= 0 {
		return nil
	}
	return p.ch
}

// Begin starts the count: the drain begins now, and counts as the last arrival. It does nothing
// when the period is not positive, after a first call, or after [Period.Stop].
func (p *Period) Begin() {
	if p.d <= 0 {
		return
	}
	p.last.Store(int64(time.Since(p.epoch)))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer == nil && !p.ended {
		p.timer = time.AfterFunc(p.d, p.check)
	}
}

// Arrived notes that work arrived at t (a time read by the caller, such as the request's start):
// the period counts again from then. It costs an atomic store, and may be called before Begin
// (the drain's start then counts instead).
func (p *Period) Arrived(t time.Time) {
	p.last.Store(int64(t.Sub(p.epoch)))
}

// Stop ends the count: Done's channel is not closed after it, if it was not already. It may be
// called more than once, and without Begin.
func (p *Period) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	if p.timer != nil {
		p.timer.Stop()
	}
}

// check runs when the period may have passed: it closes the channel, or waits for what is left.
func (p *Period) check() {
	left := p.d - (time.Since(p.epoch) - time.Duration(p.last.Load()))
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.ended:
	case left <= 0:
		p.ended = true
		close(p.ch)
	default:
		p.timer.Reset(left)
	}
}
