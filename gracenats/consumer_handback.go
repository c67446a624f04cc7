package gracenats

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// handBack stops pulling and returns to the server every message pulled and not done: back (the
// message in hand, if not finished, and one pulled at the stop) and those still buffered in the
// iterator. It naks them, so the server delivers them again at once rather than after the
// consumer's AckWait — but only once it is safe to:
//
//  1. Make a round trip, so the server has had the pull requests sent so far while the
//     subscription still listens (and served them, if it has messages for them).
//  2. Drain the pull subscription and take every message still buffered or on its way, until
//     the drain completes. The drain's round trip makes the server forget the subscription.
//  3. Ask the server for the consumer's info. This makes it drop the pull requests it still
//     holds for the subscription just closed (a request lives until it is filled or expires:
//     pullExpiry).
//  4. Nak.
//
// Steps 2 and 3 are what make a clean stop handle nothing twice on older servers. A nats-server
// before 2.10.14 (nats-io/nats-server#5305) that takes a nak'd message off its redelivery queue
// when its only pull requests belong to a subscription that is gone puts the message back wrong:
// it forgets it — it then waits out the AckWait — and delivers the latest message again, as new,
// to whoever pulls next (handled twice). Naks sent while the stale request is there trigger
// exactly that; before this order was kept, about half of the restart trials did.
//
// If the drain does not complete in time — the server is out of reach, or the hard stop leaves
// only [handBackHardWait] — the messages are not nak'd: the server delivers them again after
// the consumer's AckWait. Either way they count as handed back (see [Consumer.Account]).
func (c *Consumer) handBack(ctx context.Context, it jetstream.MessagesContext, back []jetstream.Msg) {
	wait := handBackWait
	connected := c.js.Conn().IsConnected()
	if ctx.Err() != nil || !connected {
		wait = handBackHardWait // the hard stop, or no server to answer: take what is here
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	if connected {
		// Step 0: a round trip, so the server has every pull request sent so far and has had
		// the chance to serve them while the subscription still listens.
		if err := c.js.Conn().FlushWithContext(hctx); err != nil {
			c.cfg.logger.Warn("gracenats: no round trip before the hand-back", "consumer", c.name, "error", err)
		}
	}
	it.Drain()
	drained := false
	for {
		msg, err := it.Next(jetstream.NextContext(hctx))
		if err != nil {
			drained = errors.Is(err, jetstream.ErrMsgIteratorClosed) && !errors.Is(err, jetstream.ErrConnectionClosed)
			break
		}
		back = append(back, msg)
		c.hold(1)
	}
	it.Stop()
	if len(back) == 0 {
		return
	}
	nak := drained
	if nak && ctx.Err() == nil {
		// Step 3: the server checks its pull requests for interest when it reports on them.
		// (Past the hard stop, which promises only at-least-once, there is no time for it: the
		// connection is closing. Nak at once.)
		if _, err := c.cons.Info(hctx); err != nil {
			// Rather wait for the AckWait than risk a duplicate.
			nak = false
			c.cfg.logger.Warn("gracenats: pulled messages not handed back at once (no consumer info); the server delivers them again after the ack wait",
				"consumer", c.name, "messages", len(back), "error", err)
		}
	} else {
		c.cfg.logger.Warn("gracenats: pull not drained in time; the server delivers the messages pulled ahead again after the ack wait",
			"consumer", c.name, "messages", len(back))
	}
	if nak {
		for _, msg := range back {
			c.nak(msg)
		}
	}
	c.mu.Lock()
	c.held -= int64(len(back))
	c.handedBack += int64(len(back))
	c.mu.Unlock()
}

// pullExpiry is how long each pull request lives on the server (jetstream's default is 30 s).
// The server sends heartbeats at half of it, and the iterator pulls anew when two are missed, so
// it also bounds how long consuming can stall if a pull request goes missing — which the tests
// see now and then with nats-server 2.9: the client counts messages as still to come while the
// server holds no request, and nothing is pulled until the heartbeat check fires.
const pullExpiry = 5 * time.Second

// handBackWait bounds the hand-back at a soft stop: the drain of the pull subscription and the
// consumer-info round trip (see [Consumer.handBack]).
const handBackWait = 5 * time.Second

// handBackHardWait bounds the hand-back after the hard stop or with the server out of reach.
const handBackHardWait = 100 * time.Millisecond

func (c *Consumer) nak(msg jetstream.Msg) {
	if err := msg.Nak(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		c.cfg.logger.Warn("gracenats: nak failed; the message will be delivered again after the ack wait", "consumer", c.name, "error", err)
	}
}
