package gracenats

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gracekit/grace"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	_ grace.Starter   = (*Consumer)(nil)
	_ grace.Runner    = (*Consumer)(nil)
	_ grace.Stopper   = (*Consumer)(nil)
	_ grace.Accounter = (*Consumer)(nil)
)

// Handler handles one JetStream message. It is called for one message at a time, in the order
// the server delivers them. ctx is cancelled only at the hard stop — when the consumer's stop
// deadline passes — so a handler that honours ctx finishes its message at a soft stop.
//
// A nil error means the message is done: the consumer acks it (unless the handler already
// acked, nak'ed or terminated it itself). An error naks the message and stops the app (see
// [HandlerError]); to skip or retry a message without stopping, call msg.Term() or msg.Nak()
// and return nil.
type Handler func(ctx context.Context, msg jetstream.Msg) error

// Consumer runs a durable JetStream pull consumer as a grace component: a [grace.Starter],
// [grace.Runner] and [grace.Stopper]. It keeps up to [WithBatch] messages pulled ahead and hands
// them to its [Handler] one at a time, acking each one handled; after every batch of acks it
// waits for the server to confirm them, so a crash can make the server deliver again at most one
// batch of handled messages.
//
// At its turn to stop it stops pulling, finishes the message in hand, hands the messages pulled
// but not handled back to the server (nak: redelivered at once, to another instance or after the
// restart), and flushes the connection so the server has every ack and nak before the
// connection — stopped after the consumer — drains. So a clean stop loses nothing and handles
// nothing twice. The consumer must use explicit acks (jetstream.AckExplicitPolicy).
//
// A Consumer runs once, in one app.
type Consumer struct {
	js     jetstream.JetStream
	stream string
	name   string
	handle Handler
	cfg    config

	mu       sync.Mutex
	cons     jetstream.Consumer
	it       jetstream.MessagesContext
	runDone  chan struct{} // closed when the current Run returns; nil before the first Run
	stopping bool
	// stopPull ends Run's wait for the next message: Stop calls it.
	stopPull context.CancelFunc
	// abortConfirm cancels Run's wait for the server to confirm acks: Stop calls it when the
	// server is out of reach, so Run does not sit out confirmAcksTimeout.
	abortConfirm context.CancelFunc
	held         int64 // messages pulled and not yet done or handed back
	handedBack   int64 // messages handed back (nak'd, or left for the AckWait)
}

// NewConsumer returns a component that consumes the durable consumer named consumer of stream
// through js and hands each message to handle. Create the stream and the consumer beforehand
// (js.CreateOrUpdateConsumer); nothing is looked up before Start.
func NewConsumer(js jetstream.JetStream, stream, consumer string, handle Handler, opts ...Option) *Consumer {
	return &Consumer{js: js, stream: stream, name: consumer, handle: handle, cfg: newConfig(opts)}
}

// Start checks the configuration and looks the consumer up with ctx, so a missing stream or
// consumer, or a consumer without explicit acks, fails the app's start with a clear error.
func (c *Consumer) Start(ctx context.Context) error {
	var problems []string
	if c.js == nil {
		problems = append(problems, "nil jetstream.JetStream")
	}
	if c.stream == "" || c.name == "" {
		problems = append(problems, fmt.Sprintf("stream and consumer names must not be empty, got %q and %q", c.stream, c.name))
	}
	if c.handle == nil {
		problems = append(problems, "nil handler")
	}
	problems = append(problems, c.cfg.problems...)
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	cons, err := c.js.Consumer(ctx, c.stream, c.name)
	if err != nil {
		return fmt.Errorf("look up jetstream consumer %q of stream %q: %w", c.name, c.stream, err)
	}
	if p := cons.CachedInfo().Config.AckPolicy; p != jetstream.AckExplicitPolicy {
		return &ConfigError{Problems: []string{fmt.Sprintf("consumer %q acks with %s; it must use explicit acks", c.name, p)}}
	}
	c.mu.Lock()
	c.cons = cons
	c.mu.Unlock()
	return nil
}

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

// hold counts n more messages (or fewer, n < 0) pulled and not yet done or handed back.
func (c *Consumer) hold(n int64) {
	c.mu.Lock()
	c.held += n
	c.mu.Unlock()
}

func (c *Consumer) isStopping() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopping
}

// Account reports, in "messages", the messages the consumer handed back to the server:
// pulled ahead of the handler and not handled at its stop, the message in hand when the hard
// stop cut its handler off or its handler failed or panicked, and — if Run is still running
// (an abandoned stop) — those it holds at that moment. Nak'd messages come back at once, the
// others after the consumer's AckWait; none is lost, so Lost is always 0: JetStream delivers
// every message not acked again. It is safe for concurrent use.
func (c *Consumer) Account() grace.Account {
	c.mu.Lock()
	defer c.mu.Unlock()
	return grace.Account{Unit: "messages", HandedBack: c.handedBack + c.held}
}

// Stop is the consumer's turn to stop. It stops pulling, waits for Run to finish the message in
// hand and hand back those pulled ahead (see below), then flushes the connection so the server
// has every ack and nak. If the connection is down (reconnecting), Stop does not wait for the
// server: the messages pulled ahead are not nak'd (the server delivers them again after its
// AckWait), and the flush is skipped with an error matching nats.ErrConnectionReconnecting.
// Each step is bounded by ctx; if ctx ends first, Stop returns ctx's cause — messages whose acks
// had not reached the server are delivered again, and messages pulled ahead come back after the
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
		// At the cut (grace.CutAt), with the handler still busy, drain the pull subscription
		// so that the server has forgotten it by the hard stop, when Run has little time left to
		// hand back what it pulled ahead.
		var cutC <-chan time.Time
		if cut, ok := grace.CutAt(ctx, grace.DefaultCutMargin); ok && it != nil {
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
				return fmt.Errorf("stop jetstream consumer %q: %w", c.name, context.Cause(ctx))
			}
		}
	}
	if c.js == nil {
		return nil
	}
	if c.js.Conn().IsReconnecting() {
		// A flush would wait for a server that is not there; the acks sent since the last
		// confirmation may be lost, and their messages delivered again.
		return fmt.Errorf("flush acks of jetstream consumer %q: %w", c.name, nats.ErrConnectionReconnecting)
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
		return fmt.Errorf("flush acks of jetstream consumer %q: %w", c.name, err)
	}
	return nil
}

// flushWithoutDeadline bounds the final flush when Stop's ctx has no deadline (outside grace).
const flushWithoutDeadline = 10 * time.Second
