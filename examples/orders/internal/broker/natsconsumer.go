package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// natsBuffer is how many messages the consumer holds at once; at a stop it finishes them.
const natsBuffer = 16

// NATSConsumer feeds the durable JetStream consumer's messages to a [Handler], one at a time. It
// is a grace component:
//   - Start opens the message iterator.
//   - Run handles messages until the iterator is drained; a handled message is acknowledged and
//     the acknowledgement confirmed by the server, a failed one is nak'ed for redelivery.
//   - Stop (the soft stop) stops pulling: the messages already buffered are handled and
//     acknowledged, then Run returns. It does not wait; the engine waits for Run.
//   - At the hard stop (Run's ctx ends) the handler's ctx ends too; what is not acknowledged is
//     delivered again after a restart.
type NATSConsumer struct {
	client *NATS
	handle Handler
	log    *slog.Logger

	mu      sync.Mutex
	it      jetstream.MessagesContext
	stopped bool
}

// NewNATSConsumer returns a consumer of client's durable consumer that calls handle.
func NewNATSConsumer(client *NATS, handle Handler, log *slog.Logger) *NATSConsumer {
	return &NATSConsumer{client: client, handle: handle, log: log}
}

// Start opens the iterator over the durable consumer.
func (c *NATSConsumer) Start(ctx context.Context) error {
	cons, err := c.client.js.Consumer(ctx, NATSStream, NATSDurable)
	if err != nil {
		return fmt.Errorf("start nats consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(natsBuffer))
	if err != nil {
		return fmt.Errorf("start nats consumer: %w", err)
	}
	c.mu.Lock()
	c.it = it
	c.mu.Unlock()
	return nil
}

// Run handles messages until Stop drained the iterator or ctx ends.
func (c *NATSConsumer) Run(ctx context.Context) error {
	c.mu.Lock()
	it := c.it
	c.mu.Unlock()
	if it == nil {
		return errors.New("run nats consumer: not started")
	}
	stopHard := context.AfterFunc(ctx, it.Stop)
	defer stopHard()
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			// Heartbeat errors and the like: the iterator goes on after them.
			c.log.Warn("nats consumer: next", "error", err)
			continue
		}
		id := string(msg.Data())
		if err := c.handle(ctx, id); err != nil {
			c.log.Warn("nats consumer: handler failed; message will be delivered again", "order", id, "error", err)
			_ = msg.Nak() // if this fails too, the ack wait brings it back
			continue
		}
		if err := msg.DoubleAck(ctx); err != nil {
			// The effect is committed; a redelivery finds it done (the handler is idempotent).
			c.log.Warn("nats consumer: ack not confirmed", "order", id, "error", err)
		}
	}
}

// Stop stops pulling new messages; Run finishes the buffered ones and returns.
func (c *NATSConsumer) Stop(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.it != nil && !c.stopped {
		c.stopped = true
		c.it.Drain()
	}
	return nil
}
