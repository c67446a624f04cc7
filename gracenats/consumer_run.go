package gracenats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Run pulls and handles messages until its turn to stop, then hands the messages pulled ahead
// back to the server and returns nil. If ctx is cancelled — the hard stop — the handler's ctx
// ends with it, and the message in hand, if the handler gave up, is handed back too. A handler's
// error ends Run with a [HandlerError]; a panic propagates to the engine (after the message in
// hand and those pulled ahead are handed back, so a Run started again by grace.RestartOnPanic
// gets them at once). If the pull ends for another reason (the consumer was deleted, the
// connection closed), Run returns that error.
func (c *Consumer) Run(ctx context.Context) error {
	done := make(chan struct{})
	defer close(done)
	c.mu.Lock()
	c.runDone = done
	if c.stopping {
		c.mu.Unlock()
		return nil
	}
	if c.cons == nil {
		c.mu.Unlock()
		return errors.New("jetstream consumer not started")
	}
	it, err := c.cons.Messages(jetstream.PullMaxMessages(c.cfg.batch), jetstream.PullExpiry(pullExpiry))
	if err != nil {
		c.mu.Unlock()
		return fmt.Errorf("pull from jetstream consumer %q: %w", c.name, err)
	}
	c.it = it
	// pullCtx ends the wait for the next message at the stop; the handler's ctx stays live.
	pullCtx, stopPull := context.WithCancel(ctx)
	defer stopPull()
	c.stopPull = stopPull
	confirmCtx, abortConfirm := context.WithCancel(ctx)
	defer abortConfirm()
	c.abortConfirm = abortConfirm
	c.mu.Unlock()

	// back holds the messages pulled and not done — the one in hand, if its handler did not
	// finish it, and any pulled ahead — to be handed back when Run returns, however it returns.
	var back []jetstream.Msg
	defer func() { c.handBack(ctx, it, back) }()
	acks := 0 // acks sent since the server last confirmed them
	for {
		msg, err := it.Next(jetstream.NextContext(pullCtx))
		if err != nil {
			switch {
			case pullCtx.Err() != nil:
				return nil
			case errors.Is(err, jetstream.ErrMsgIteratorClosed) && c.isStopping():
				return nil
			case errors.Is(err, jetstream.ErrMsgIteratorClosed),
				errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrBadRequest):
				return fmt.Errorf("pull from jetstream consumer %q: %w", c.name, err)
			}
			c.cfg.logger.Warn("gracenats: pull error", "consumer", c.name, "error", err)
			continue
		}
		back = append(back, msg)
		c.hold(1)
		if pullCtx.Err() != nil {
			return nil // pulled ahead, not in hand: handed back
		}
		if herr := c.handle(ctx, msg); herr != nil {
			if ctx.Err() != nil {
				return nil // cut off by the hard stop: not done, handed back
			}
			var seq uint64
			if md, err := msg.Metadata(); err == nil {
				seq = md.Sequence.Stream
			}
			return &HandlerError{Stream: c.stream, Consumer: c.name, Sequence: seq, Err: herr}
		}
		back = back[:0]
		c.hold(-1)
		if err := msg.Ack(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			c.cfg.logger.Warn("gracenats: ack failed; the message will be delivered again", "consumer", c.name, "error", err)
		}
		if acks++; acks >= c.cfg.batch {
			acks = 0
			c.confirmAcks(confirmCtx)
		}
		if c.isStopping() {
			return nil
		}
	}
}

// confirmAcks waits until the server has every ack sent so far (a flush: one round trip), so
// that no more than one batch of acks is ever unconfirmed — the most a crash can make the
// server deliver again.
func (c *Consumer) confirmAcks(ctx context.Context) {
	if !c.js.Conn().IsConnected() {
		c.cfg.logger.Warn("gracenats: acks not confirmed, the server is out of reach; if the process dies now, their messages will be delivered again",
			"consumer", c.name)
		return
	}
	fctx, cancel := context.WithTimeout(ctx, confirmAcksTimeout)
	defer cancel()
	if err := c.js.Conn().FlushWithContext(fctx); err != nil && ctx.Err() == nil {
		c.cfg.logger.Warn("gracenats: acks not confirmed; if the process dies now, their messages will be delivered again",
			"consumer", c.name, "error", err)
	}
}

// confirmAcksTimeout bounds the wait for the server to confirm a batch of acks.
const confirmAcksTimeout = 5 * time.Second
