package broker

import (
	"context"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/nats-io/nats.go/jetstream"
)

// natsBuffer is how many messages the consumer pulls ahead; at a stop the ones not handled are
// handed back to the server.
const natsBuffer = 16

// natsRetryDelay is how long a message whose handler failed waits before it is delivered again.
const natsRetryDelay = 500 * time.Millisecond

// NATSConsumer feeds the durable JetStream consumer's messages to a [Handler], one at a time,
// through gracenats.Consumer, created at Start (the connection exists only then). It is a grace
// component whose Start, Run, Stop and Account are gracenats.Consumer's:
//   - Run hands each message to the handler and acks it once handled;
//   - Stop (the soft stop) stops pulling, finishes the message in hand, naks the messages pulled
//     ahead (redelivered at once, after the restart) and flushes, so a clean stop handles nothing
//     twice and loses nothing;
//   - at the hard stop the handler's ctx ends; what is not acked is delivered again.
//
// A handler error does not stop the app: the message is nak'ed with a delay and delivered again.
type NATSConsumer struct {
	client *NATS
	handle Handler
	log    *slog.Logger
	madeAtStart
}

var _ grace.Accounter = (*NATSConsumer)(nil)

// NewNATSConsumer returns a consumer of client's durable consumer that calls handle.
func NewNATSConsumer(client *NATS, handle Handler, log *slog.Logger) *NATSConsumer {
	return &NATSConsumer{client: client, handle: handle, log: log}
}

// Start creates the gracenats consumer on the client's JetStream context and starts it.
func (c *NATSConsumer) Start(ctx context.Context) error {
	inner := gracenats.NewConsumer(c.client.js, NATSStream, NATSDurable, c.handleMsg,
		gracenats.WithBatch(natsBuffer), gracenats.WithLogger(c.log))
	c.inner = inner
	return inner.Start(ctx)
}

func (c *NATSConsumer) handleMsg(ctx context.Context, msg jetstream.Msg) error {
	id := string(msg.Data())
	if err := c.handle(ctx, id); err != nil {
		c.log.Warn("nats consumer: handler failed; message will be delivered again", "order", id, "error", err)
		_ = msg.NakWithDelay(natsRetryDelay) // if this is lost too, the ack wait brings it back
	}
	return nil
}
