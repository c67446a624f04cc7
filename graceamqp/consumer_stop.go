package graceamqp

import (
	"context"
	"errors"
	"fmt"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Stop is the consumer's turn to stop. It cancels the subscription (waiting for the broker to
// confirm, so no delivery is in flight), waits for Run to finish the delivery in hand, ack it
// and hand back (nack with requeue) the deliveries prefetched but not started, then closes the
// channel, which returns to the broker anything still unacknowledged.
//
// Stop waits for the broker and for the handler until the cut point ([grace.CutAt] of ctx with
// [WithCutMargin]); there it cancels the handler's ctx (cause grace.ErrCut) and stops waiting — what
// was not acked then is handed back when the channel or the connection closes — and the channel
// close is bounded by ctx's deadline (and not waited for at all if the broker did not answer the
// cancel). It returns an error naming each step that failed or found no answer, with a
// [CutError] if the handler was cut. Calling Stop
// again does nothing more.
func (c *Consumer) Stop(ctx context.Context) error {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return nil
	}
	c.stopping = true
	close(c.stopCh)
	ch, tag, done := c.ch, c.tag, c.runDone
	c.mu.Unlock()
	if ch == nil {
		return nil // never started
	}
	cutCtx, cancel := cutctx.Until(ctx, c.cfg.cutMargin)
	defer cancel()
	var errs []error
	cancelled := make(chan error, 1)
	go func() { cancelled <- ch.Cancel(tag, false) }() // returns when the broker answers or the connection closes
	// Run finishes the delivery in hand, then receives what is still coming until the
	// subscription ends (the broker confirmed the cancel): the cut point bounds both.
	var cancelErr error
	cancelDone := false
	if done != nil {
		select {
		case <-done:
		case <-cutCtx.Done():
		}
	}
	select {
	case cancelErr = <-cancelled:
		cancelDone = true
	default:
		select { // (checked first above: past the cut point both may be ready)
		case cancelErr = <-cancelled:
			cancelDone = true
		case <-cutCtx.Done():
		}
	}
	if done != nil && !closed(done) {
		// Past the cut point: cut the handler. If the broker confirmed the cancel, the
		// subscription's last deliveries are already here and Run still counts them; if not,
		// Run stops waiting for them.
		if n := c.cut(); n > 0 {
			errs = append(errs, &CutError{What: "handler", Messages: int(n)})
		}
		if !cancelDone {
			c.abandon()
		}
		select {
		case <-done:
		case <-ctx.Done():
			c.abandon()
			errs = append(errs, fmt.Errorf("the handler of queue %q did not return after its ctx was cut: %w", c.queue, context.Cause(ctx)))
		}
	}
	switch {
	case !cancelDone:
		c.cfg.logger.Warn("graceamqp: the broker did not confirm the consumer's cancel by the cut point", "queue", c.queue, "consumer", tag)
		errs = append(errs, fmt.Errorf("cancel amqp consumer %q: no answer from the broker: %w", tag, context.Cause(cutCtx)))
	case cancelErr != nil && !errors.Is(cancelErr, amqp.ErrClosed):
		errs = append(errs, fmt.Errorf("cancel amqp consumer %q: %w", tag, cancelErr))
	}
	if !cancelDone {
		// The broker does not answer: it would not answer the channel's close either. The close
		// is sent without waiting; it returns when the connection closes.
		go ch.Close()
		return errors.Join(errs...)
	}
	if err := bounded(ctx, ch.Close); err != nil && !errors.Is(err, amqp.ErrClosed) {
		errs = append(errs, fmt.Errorf("close amqp channel of consumer %q: %w", tag, err))
	}
	return errors.Join(errs...)
}

// abandon makes Run return without waiting for the subscription's end, once.
func (c *Consumer) abandon() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !closed(c.abandonCh) {
		close(c.abandonCh)
	}
}

// cut closes cutCh and cancels the handler's ctx, once, and returns how many deliveries the
// handler had in hand then.
func (c *Consumer) cut() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cutClosed() {
		return 0
	}
	close(c.cutCh)
	if c.cutHandler != nil {
		c.cutHandler(grace.ErrCut)
	}
	return c.inHand
}
