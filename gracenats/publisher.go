package gracenats

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gracekit/grace"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	_ grace.Stopper   = (*Publisher)(nil)
	_ grace.Accounter = (*Publisher)(nil)
)

// Publisher is a JetStream context used for asynchronous publishes (jetstream.JetStream's
// PublishAsync), as a grace component: a [grace.Stopper]. Add it after the [Conn] it publishes
// through and before the components that publish (or name it in their grace.DependsOn), so that
// at its turn to stop they have stopped publishing and the connection is still there.
//
// At its turn it waits until the server has acknowledged every asynchronous publish, up to the
// cut, grace.CutAt(ctx, grace.DefaultCutMargin). Publishes still unacknowledged then may or may
// not have been stored: the publisher counts them as lost ([Publisher.Account]), and Stop
// returns an [UnackedError]. Synchronous publishes (Publish) return their error to their caller
// and are not the publisher's to count.
type Publisher struct {
	js   jetstream.JetStream
	lost atomic.Int64
}

// NewPublisher returns a component for js.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// JetStream returns the JetStream context.
func (p *Publisher) JetStream() jetstream.JetStream { return p.js }

// Stop waits until every asynchronous publish is acknowledged, or the cut (see [Publisher]). A
// nil JetStream context stops at once. Without a deadline on ctx it waits until ctx ends.
// Calling Stop again waits again, and counts what is still unacknowledged then.
func (p *Publisher) Stop(ctx context.Context) error {
	if p.js == nil {
		return nil
	}
	cutCtx := ctx
	if cut, ok := grace.CutAt(ctx, grace.DefaultCutMargin); ok {
		var cancel context.CancelFunc
		cutCtx, cancel = context.WithDeadlineCause(ctx, cut, errCut)
		defer cancel()
	}
	select {
	case <-p.js.PublishAsyncComplete():
		return nil
	case <-cutCtx.Done():
	}
	n := p.js.PublishAsyncPending()
	if n == 0 {
		return nil
	}
	p.lost.Store(int64(n))
	return &UnackedError{Messages: n, Err: context.Cause(cutCtx)}
}

// Account reports, in "messages", the asynchronous publishes the server had not acknowledged
// when the stop cut its wait off: Lost. It is safe for concurrent use.
func (p *Publisher) Account() grace.Account {
	return grace.Account{Unit: "messages", Lost: p.lost.Load()}
}

// errCut ends a wait at the cut, shortly before the stop's deadline.
var errCut = fmt.Errorf("cut off before the stop deadline: %w", context.DeadlineExceeded)

// ErrUnacked is matched by an [UnackedError].
var ErrUnacked = errors.New("jetstream publishes not acknowledged")

// UnackedError says that a [Publisher]'s stop ended with asynchronous publishes the server had
// not acknowledged. Messages is how many.
type UnackedError struct {
	Messages int
	Err      error // why the wait ended: the cut, usually
}

func (e *UnackedError) Error() string {
	return fmt.Sprintf("%s: %d messages: %v", ErrUnacked, e.Messages, e.Err)
}

// Is reports whether target is [ErrUnacked].
func (e *UnackedError) Is(target error) bool { return target == ErrUnacked }

// Unwrap returns why the wait ended.
func (e *UnackedError) Unwrap() error { return e.Err }
