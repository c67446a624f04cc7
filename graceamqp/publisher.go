package graceamqp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Publisher publishes messages on a channel of its own in confirm mode, as a grace component: a
// [grace.Starter], [grace.Stopper] and [grace.Accounter]. Its methods are safe for concurrent
// use.
//
// At its turn to stop it refuses new messages ([ErrStopped]) and waits for the broker to confirm
// every message still outstanding, until its cut point ([grace.CutAt] with [WithCutMargin]);
// then it closes its channel, bounded by the stop deadline. [Publisher.Account] counts messages
// lost: published (Publish or PublishDeferred returned nil) and never confirmed — refused by the
// broker (basic.nack), or still unconfirmed when the stop ended or the channel closed. A lost
// message may still have reached the broker; nothing says it did.
//
// Messages are published without the mandatory flag: the broker confirms, and drops, a message
// that no queue is bound to take. Declare the bindings before publishing.
type Publisher struct {
	conn *amqp.Connection
	cfg  config

	mu       sync.Mutex
	ch       *amqp.Channel
	stopping bool
	sending  int                          // publishes being written
	pending  []*amqp.DeferredConfirmation // sent, confirm not yet seen
	lost     int64                        // refused, or settled without an ack
	changed  chan struct{}                // closed and replaced when sending or pending shrinks
}

// NewPublisher returns a publisher on conn. Nothing is sent to the broker before Start.
func NewPublisher(conn *amqp.Connection, opts ...Option) *Publisher {
	return &Publisher{conn: conn, cfg: newConfig(opts), changed: make(chan struct{})}
}

// Validate reports a nil connection, one with automatic recovery on, and bad options, as a
// *grace.ConfigError.
func (p *Publisher) Validate() error { return p.cfg.Err(connProblem(p.conn)) }

// Start checks the configuration (Validate), opens the publisher's channel and puts it in
// confirm mode, bounded by ctx.
func (p *Publisher) Start(ctx context.Context) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var ch *amqp.Channel
	err := bounded(ctx, func() (err error) {
		if ch, err = p.conn.Channel(); err != nil {
			return err
		}
		return ch.Confirm(false)
	})
	if err != nil {
		if ch != nil {
			go ch.Close() // returns at once, or when the connection closes
		}
		return fmt.Errorf("open amqp publisher channel in confirm mode: %w", err)
	}
	p.mu.Lock()
	p.ch = ch
	p.mu.Unlock()
	return nil
}

// PublishDeferred publishes msg to exchange with routing key key and returns without waiting for
// the broker's confirm: wait on the returned confirmation (its Done, Wait or WaitContext). ctx
// bounds the write. Once PublishDeferred returned nil the publisher counts the message until the
// broker confirms it: at the stop it waits for the confirm, and counts the message lost if none
// comes. After the stop began it returns [ErrStopped] and sends nothing.
func (p *Publisher) PublishDeferred(ctx context.Context, exchange, key string, msg amqp.Publishing) (*amqp.DeferredConfirmation, error) {
	p.mu.Lock()
	switch {
	case p.stopping:
		p.mu.Unlock()
		return nil, ErrStopped
	case p.ch == nil:
		p.mu.Unlock()
		return nil, errors.New("graceamqp: publisher not started")
	}
	ch := p.ch
	p.sending++
	p.mu.Unlock()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, msg)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sending--
	if err == nil {
		if dc == nil { // not in confirm mode: cannot happen after Start
			err = errors.New("graceamqp: channel not in confirm mode")
		} else {
			p.pending = append(p.pending, dc)
			p.prune(false)
		}
	}
	p.notify()
	if err != nil {
		return nil, fmt.Errorf("publish to amqp exchange %q key %q: %w", exchange, key, err)
	}
	return dc, nil
}

// Publish publishes msg as [Publisher.PublishDeferred] does and waits for the broker's confirm,
// at most until ctx ends. It returns nil once the broker has the message, [ErrNacked] if it
// refused it, or ctx's error — the message is then still counted until its confirm comes, and
// lost if none comes by the stop's end.
func (p *Publisher) Publish(ctx context.Context, exchange, key string, msg amqp.Publishing) error {
	dc, err := p.PublishDeferred(ctx, exchange, key, msg)
	if err != nil {
		return err
	}
	acked, err := dc.WaitContext(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("publish to amqp exchange %q key %q: no confirm: %w", exchange, key, err)
	case !acked:
		return fmt.Errorf("publish to amqp exchange %q key %q: %w", exchange, key, ErrNacked)
	}
	return nil
}

// prune drops the confirmations that came in from the front of pending (all of them, if all is
// set), counting the nacked ones as lost. p.mu is held.
func (p *Publisher) prune(all bool) {
	kept := p.pending[:0]
	for i, dc := range p.pending {
		select {
		case <-dc.Done():
			if !dc.Acked() {
				p.lost++
			}
			continue
		default:
		}
		if !all {
			kept = append(kept, p.pending[i:]...)
			break
		}
		kept = append(kept, dc)
	}
	clear(p.pending[len(kept):])
	p.pending = kept
}

func (p *Publisher) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Outstanding returns how many published messages the broker has not confirmed yet.
func (p *Publisher) Outstanding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(true)
	return len(p.pending) + p.sending
}

// Stop refuses new messages, waits until the broker has confirmed every message published, at
// most until the cut point of ctx ([grace.CutAt] with [WithCutMargin]), and closes the channel,
// bounded by ctx (not waited for if the broker did not answer). It returns a [CutError] if
// confirms were still outstanding at the cut point, an error if the close failed; the messages never confirmed are
// counted as lost in [Publisher.Account]. Calling Stop again does nothing more.
func (p *Publisher) Stop(ctx context.Context) error {
	p.mu.Lock()
	again, ch := p.stopping, p.ch
	p.stopping = true
	p.mu.Unlock()
	if again || ch == nil {
		return nil
	}
	cutCtx, cancel := cutctx.Until(ctx, p.cfg.cutMargin)
	defer cancel()
	for {
		p.mu.Lock()
		p.prune(true)
		n := len(p.pending) + p.sending
		var first <-chan struct{}
		if len(p.pending) > 0 {
			first = p.pending[0].Done()
		}
		changed := p.changed
		p.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-first:
		case <-changed:
		case <-cutCtx.Done():
			p.cfg.logger.Warn("graceamqp: publishes not confirmed by the broker at the cut point; counted as lost", "outstanding", n)
			go ch.Close() // the broker does not answer: returns when the connection closes
			return &CutError{What: "confirms", Messages: n}
		}
	}
	if err := bounded(ctx, ch.Close); err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("close amqp publisher channel: %w", err)
	}
	return nil
}

// Account returns the messages lost: refused by the broker, or published and not confirmed (so
// far — at the stop's end, for good). It is safe to call at any time, concurrently with the stop.
func (p *Publisher) Account() grace.Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(true)
	return grace.Account{Unit: "messages", Lost: p.lost + int64(len(p.pending)+p.sending)}
}
