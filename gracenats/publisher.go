package gracenats

import (
	"context"
	"sync/atomic"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/nats-io/nats.go/jetstream"
)

// Publisher is a JetStream context used for asynchronous publishes (jetstream.JetStream's
// PublishAsync), as a grace component: a [grace.Stopper]. Add it after the [Conn] it publishes
// through and before the components that publish (or name it in their grace.DependsOn), so that
// at its turn to stop they have stopped publishing and the connection is still there.
//
// At its turn it waits until the server has acknowledged every asynchronous publish, up to the
// cut point, grace.CutAt(ctx, margin) ([WithCutMargin]). Publishes still unacknowledged then
// may or may not have been stored: the publisher counts them as lost ([Publisher.Account]), and Stop
// returns an [UnackedError]. Synchronous publishes (Publish) return their error to their caller
// and are not the publisher's to count.
type Publisher struct {
	js   jetstream.JetStream
	cfg  config
	lost atomic.Int64
}

// NewPublisher returns a component for js. It takes [WithCutMargin].
func NewPublisher(js jetstream.JetStream, opts ...Option) *Publisher {
	return &Publisher{js: js, cfg: newConfig(opts)}
}

// Validate reports the options that are wrong, as a *grace.ConfigError.
func (p *Publisher) Validate() error { return p.cfg.Err() }

// JetStream returns the JetStream context.
func (p *Publisher) JetStream() jetstream.JetStream { return p.js }

// Stop waits until every asynchronous publish is acknowledged, or the cut (see [Publisher]). A
// nil JetStream context stops at once. Without a deadline on ctx it waits until ctx ends.
// Calling Stop again waits again, and counts what is still unacknowledged then.
func (p *Publisher) Stop(ctx context.Context) error {
	if p.js == nil {
		return nil
	}
	cutCtx, cancel := cutctx.Until(ctx, p.cfg.cutMargin)
	defer cancel()
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
