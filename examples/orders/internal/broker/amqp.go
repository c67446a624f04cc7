package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	amqp "github.com/rabbitmq/amqp091-go"
)

// amqpPrefetch is how many deliveries RabbitMQ sends the consumer ahead; at a stop the ones not
// started are handed back (nack with requeue), and after a crash at most this many handled
// messages come again.
const amqpPrefetch = 32

// amqpDialTimeout bounds the TCP connect and the AMQP handshake when ctx has no deadline.
const amqpDialTimeout = 10 * time.Second

// AMQP is the RabbitMQ broker of accepted orders: a durable queue, one connection, and a
// publisher with confirms (graceamqp). It is a grace component: Start dials and declares the
// queue (nothing connects before); Run watches the connection (a connection the broker closes
// stops the app); Stop waits for the publisher's outstanding confirms, then closes the
// connection — after the HTTP server and the consumer, which depend on it. Messages the broker
// never confirmed are counted as lost in the report.
type AMQP struct {
	url, queue string
	log        *slog.Logger

	conn *amqp.Connection
	gc   *graceamqp.Conn
	pub  *graceamqp.Publisher
}

var (
	_ grace.Starter   = (*AMQP)(nil)
	_ grace.Runner    = (*AMQP)(nil)
	_ grace.Stopper   = (*AMQP)(nil)
	_ grace.Accounter = (*AMQP)(nil)
)

// NewAMQP returns the broker at url (amqp://user:password@host:port/vhost) for queue. It does
// not connect.
func NewAMQP(url, queue string, log *slog.Logger) *AMQP {
	return &AMQP{url: url, queue: queue, log: log}
}

// Start dials the broker, declares the durable queue, and opens the publisher's channel in
// confirm mode, all bounded by ctx.
func (a *AMQP) Start(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(amqpDialTimeout)
	}
	conn, err := amqp.DialConfig(a.url, amqp.Config{
		Dial: func(network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Deadline: deadline}).DialContext(ctx, network, addr)
			if err == nil {
				err = c.SetDeadline(deadline) // the handshake; amqp091-go clears it once open
			}
			return c, err
		},
	})
	if err != nil {
		return fmt.Errorf("connect to rabbitmq: %w", err) // amqp091-go's errors do not echo the password
	}
	a.conn = conn
	ch, err := conn.Channel()
	if err == nil {
		_, err = ch.QueueDeclare(a.queue, true, false, false, false, nil)
		ch.Close()
	}
	if err != nil {
		conn.Close()
		return fmt.Errorf("declare rabbitmq queue %q: %w", a.queue, err)
	}
	a.gc = graceamqp.NewConn(conn, graceamqp.WithLogger(a.log))
	a.pub = graceamqp.NewPublisher(conn, graceamqp.WithLogger(a.log))
	if err := errors.Join(a.gc.Start(ctx), a.pub.Start(ctx)); err != nil {
		conn.Close()
		return err
	}
	return nil
}

// Run watches the connection until Stop closes it.
func (a *AMQP) Run(ctx context.Context) error {
	if a.gc == nil {
		return errors.New("rabbitmq not started")
	}
	return a.gc.Run(ctx)
}

// Publish publishes the order id, persistent, and waits for the broker's confirm.
func (a *AMQP) Publish(ctx context.Context, orderID string) error {
	if err := a.pub.Publish(ctx, "", a.queue, amqp.Publishing{DeliveryMode: amqp.Persistent, ContentType: "text/plain", Body: []byte(orderID)}); err != nil {
		return fmt.Errorf("publish order: %w", err)
	}
	return nil
}

// Stop waits for outstanding confirms, then closes the connection, within ctx.
func (a *AMQP) Stop(ctx context.Context) error {
	if a.gc == nil {
		return nil
	}
	return errors.Join(a.pub.Stop(ctx), a.gc.Stop(ctx))
}

// Account is the publisher's: messages published and never confirmed are lost.
func (a *AMQP) Account() grace.Account {
	if a.pub == nil {
		return grace.Account{}
	}
	return a.pub.Account()
}

// Close closes the connection at once, waiting for nothing (the naive build's shutdown).
func (a *AMQP) Close() error {
	if a.conn == nil {
		return nil
	}
	return a.conn.Close()
}

// AMQPConsumer feeds the queue's deliveries to a [Handler], one at a time, through
// graceamqp.Consumer, created at Start (the connection exists only then). It is a grace component
// whose Start, Run, Stop and Account are graceamqp.Consumer's: at its turn to stop it cancels the
// subscription, finishes the delivery in hand and acks it, and hands back (nack with requeue)
// those sent ahead, so a clean stop handles nothing twice and loses nothing.
//
// A handler error does not stop the app: the handler is retried with backoff until it succeeds,
// or the stop's cut point ends its ctx — then the delivery goes back to the queue.
type AMQPConsumer struct {
	a      *AMQP
	handle Handler
	log    *slog.Logger
	madeAtStart
}

var _ grace.Accounter = (*AMQPConsumer)(nil)

// NewAMQPConsumer returns the consumer of a's queue that calls handle.
func NewAMQPConsumer(a *AMQP, handle Handler, log *slog.Logger) *AMQPConsumer {
	return &AMQPConsumer{a: a, handle: handle, log: log}
}

// Start subscribes to the queue.
func (c *AMQPConsumer) Start(ctx context.Context) error {
	inner := graceamqp.NewConsumer(c.a.conn, c.a.queue, c.handleDelivery,
		graceamqp.WithPrefetch(amqpPrefetch), graceamqp.WithLogger(c.log))
	c.inner = inner
	return inner.Start(ctx)
}

func (c *AMQPConsumer) handleDelivery(ctx context.Context, d amqp.Delivery) error {
	id := string(d.Body)
	backoff := 50 * time.Millisecond
	for {
		err := c.handle(ctx, id)
		if err == nil {
			return nil
		}
		c.log.Warn("amqp consumer: handler failed; retrying", "order", id, "error", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx) // cut at the stop: handed back, delivered again
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}
