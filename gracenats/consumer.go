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
	_ grace.Starter = (*Consumer)(nil)
	_ grace.Runner  = (*Consumer)(nil)
	_ grace.Stopper = (*Consumer)(nil)
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
	// abortConfirm cancels Run's wait for the server to confirm acks: Stop calls it when the
	// server is out of reach, so Run does not sit out confirmAcksTimeout.
	abortConfirm context.CancelFunc
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
	confirmCtx, abortConfirm := context.WithCancel(ctx)
	defer abortConfirm()
	c.abortConfirm = abortConfirm
	c.mu.Unlock()

	var inHand jetstream.Msg // a message given to the handler and not yet acked or nak'ed
	acks := 0                // acks sent since the server last confirmed them
	defer func() {
		if inHand != nil {
			c.nak(inHand)
		}
		c.handBack(it)
	}()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			switch {
			case ctx.Err() != nil:
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
		if c.isStopping() {
			c.nak(msg) // pulled ahead, not in hand: hand it back
			return nil
		}
		inHand = msg
		if herr := c.handle(ctx, msg); herr != nil {
			if ctx.Err() != nil {
				return nil // cut off by the hard stop: not done; the deferred nak hands it back
			}
			var seq uint64
			if md, err := msg.Metadata(); err == nil {
				seq = md.Sequence.Stream
			}
			return &HandlerError{Stream: c.stream, Consumer: c.name, Sequence: seq, Err: herr}
		}
		inHand = nil
		if err := msg.Ack(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			c.cfg.logger.Warn("gracenats: ack failed; the message will be delivered again", "consumer", c.name, "error", err)
		}
		if acks++; acks >= c.cfg.batch {
			acks = 0
			c.confirmAcks(confirmCtx)
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

// handBack stops pulling and naks every message pulled but not handled, so that the server
// delivers them again at once rather than after the consumer's AckWait. It waits at most
// [handBackWait] for each next message: after the drain of the pull subscription they come out
// at once, unless the server does not answer.
func (c *Consumer) handBack(it jetstream.MessagesContext) {
	it.Drain()
	for {
		msg, err := it.Next(jetstream.NextMaxWait(handBackWait))
		if err != nil {
			break
		}
		c.nak(msg)
	}
	it.Stop()
}

// pullExpiry is how long each pull request lives on the server (jetstream's default is 30 s).
// The server sends heartbeats at half of it, and the iterator pulls anew when two are missed, so
// it also bounds how long consuming can stall if a pull request goes missing — which the tests
// see now and then with nats-server 2.9: the client counts messages as still to come while the
// server holds no request, and nothing is pulled until the heartbeat check fires.
const pullExpiry = 5 * time.Second

// handBackWait bounds each wait for a message pulled ahead while handing them back.
const handBackWait = 100 * time.Millisecond

func (c *Consumer) nak(msg jetstream.Msg) {
	if err := msg.Nak(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		c.cfg.logger.Warn("gracenats: nak failed; the message will be delivered again after the ack wait", "consumer", c.name, "error", err)
	}
}

func (c *Consumer) isStopping() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopping
}

// Stop is the consumer's turn to stop. It stops pulling (draining the pull subscription), waits
// for Run to finish the message in hand and hand back those pulled ahead, then flushes the
// connection so the server has every ack and nak. If the connection is down (reconnecting), Stop
// does not wait for the server: the messages pulled ahead are dropped (the server delivers them
// again after its AckWait), and the flush is skipped with an error matching
// nats.ErrConnectionReconnecting. Each step is bounded by ctx; if ctx ends first,
// Stop drops the pull subscription and returns ctx's cause — messages whose acks had not reached
// the server are delivered again, and messages pulled ahead come back after the consumer's
// AckWait. Calling Stop again repeats the flush only.
func (c *Consumer) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.stopping = true
	it, done, abortConfirm := c.it, c.runDone, c.abortConfirm
	c.mu.Unlock()
	if it != nil {
		if c.js != nil && !c.js.Conn().IsConnected() {
			it.Stop() // the server is out of reach: nothing pulled ahead can be handed back
			if abortConfirm != nil {
				abortConfirm() // nor will it confirm acks: don't wait for it
			}
		} else {
			it.Drain()
		}
	}
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			if it != nil {
				it.Stop()
			}
			return fmt.Errorf("stop jetstream consumer %q: %w", c.name, context.Cause(ctx))
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
