package gracenats

import (
	"context"
	"fmt"
	"sync"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
	"github.com/nats-io/nats.go/jetstream"
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

// Validate reports what is wrong with the consumer's configuration — a nil JetStream context,
// empty names, a nil handler, bad options — as a *grace.ConfigError.
func (c *Consumer) Validate() error {
	return c.cfg.Err(
		option.Check(c.js == nil, "nil jetstream.JetStream"),
		option.Check(c.stream == "" || c.name == "",
			fmt.Sprintf("stream and consumer names must not be empty, got %q and %q", c.stream, c.name)),
		option.Check(c.handle == nil, "nil handler"),
	)
}

// Start checks the configuration (Validate) and looks the consumer up with ctx, so a missing
// stream or consumer, or a consumer without explicit acks (a *grace.ConfigError), fails the
// app's start with a clear error.
func (c *Consumer) Start(ctx context.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	cons, err := c.js.Consumer(ctx, c.stream, c.name)
	if err != nil {
		return fmt.Errorf("look up jetstream consumer %q of stream %q: %w", c.name, c.stream, err)
	}
	if p := cons.CachedInfo().Config.AckPolicy; p != jetstream.AckExplicitPolicy {
		return &grace.ConfigError{Problems: []string{fmt.Sprintf("consumer %q acks with %s; it must use explicit acks", c.name, p)}}
	}
	c.mu.Lock()
	c.cons = cons
	c.mu.Unlock()
	return nil
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
