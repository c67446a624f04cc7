package gracenats

import (
	"context"
	"fmt"
	"time"

	"github.com/gracekit/grace"
	"github.com/nats-io/nats.go"
)

// Stop is the consumer's turn to stop. It stops pulling, waits for Run to finish the message in
// hand and hand back those pulled ahead (see below), then flushes the connection so the server
// has every ack and nak. If the connection is down (reconnecting), Stop does not wait for the
// server: the messages pulled ahead are not nak'd (the server delivers them again after its
// AckWait), and the flush is skipped with an error matching nats.ErrConnectionReconnecting.
// Each step is bounded by ctx. If ctx ends with the handler still busy (the hard stop cancels
// its ctx), Stop returns a [CutError] counting the messages handed back so far; if it ends in
// the flush, ctx's cause. Messages whose acks had not reached the server are delivered again,
// and messages pulled ahead come back after the
// consumer's AckWait. Calling Stop again repeats the flush only.
//
// The hand-back naks the messages pulled ahead only after the server has dropped the pull
// subscription and the pull requests it held for it — one more round trip — because a
// nats-server before 2.10.14 otherwise delivers one message twice and holds another until the
// AckWait (nats-io/nats-server#5305).
func (c *Consumer) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.stopping = true
	it, done, stopPull, abortConfirm := c.it, c.runDone, c.stopPull, c.abortConfirm
	c.mu.Unlock()
	if stopPull != nil {
		stopPull()
	}
	if it != nil && c.js != nil && !c.js.Conn().IsConnected() && abortConfirm != nil {
		abortConfirm() // the server is out of reach: it will not confirm acks, don't wait for it
	}
	if done != nil {
		// At the cut point (grace.CutAt), with the handler still busy, drain the pull
		// subscription so that the server has forgotten it by the hard stop, when Run has little
		// time left to hand back what it pulled ahead.
		var cutC <-chan time.Time
		if cut, ok := grace.CutAt(ctx, c.cfg.cutMargin); ok && it != nil {
			timer := time.NewTimer(time.Until(cut))
			defer timer.Stop()
			cutC = timer.C
		}
	wait:
		for {
			select {
			case <-done:
				break wait
			case <-cutC:
				cutC = nil
				it.Drain()
			case <-ctx.Done():
				if it != nil {
					it.Drain() // keeps what is buffered for Run's hand-back, and stops pulling
				}
				return &CutError{What: "handler", Messages: int(c.Account().HandedBack), Err: context.Cause(ctx)}
			}
		}
	}
	if c.js == nil {
		return nil
	}
	if c.js.Conn().IsReconnecting() {
		// A flush would wait for a server that is not there; the acks sent since the last
		// confirmation may be lost, and their messages delivered again.
		return fmt.Errorf("flush acks: %w", nats.ErrConnectionReconnecting)
	}
	fctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(ctx, flushWithoutDeadline)
		defer cancel()
	}
	if err := c.js.Conn().FlushWithContext(fctx); err != nil {
		if fctx.Err() != nil {
			err = context.Cause(fctx)
		}
		return fmt.Errorf("flush acks: %w", err)
	}
	return nil
}

// flushWithoutDeadline bounds the final flush when Stop's ctx has no deadline (outside grace).
const flushWithoutDeadline = 10 * time.Second
