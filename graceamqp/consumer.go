package graceamqp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Handler handles one delivery. The consumer calls it for one delivery at a time, in the order
// the broker delivers them. ctx ends only at the consumer's cut point — shortly before its stop
// deadline ([WithCutMargin]), with cause grace.ErrCut — or at the app's hard stop, so a handler that
// honours ctx finishes its delivery at an ordinary stop.
//
// A nil error means the delivery is done: the consumer acks it, unless the handler acked,
// nacked or rejected it itself. An error hands the delivery back (nack with requeue) and stops
// the app (see [HandlerError]).
type Handler func(ctx context.Context, d amqp.Delivery) error

// Consumer consumes one queue as a grace component: a [grace.Starter], [grace.Runner],
// [grace.Stopper] and [grace.Accounter]. It opens a channel of its own on the connection, lets
// the broker send up to [WithPrefetch] deliveries ahead, and hands them to its [Handler] one at
// a time, acking each one handled.
//
// At its turn to stop it cancels its subscription (the broker sends nothing more), lets the
// handler finish the delivery in hand and acks it, hands back the deliveries that were
// prefetched but not started (nack with requeue: the broker delivers them again at once, to
// another consumer or after the restart), and closes its channel. Each step is bounded: at the
// cut point ([grace.CutAt] with [WithCutMargin]) the handler's ctx is cancelled and the consumer
// stops waiting for the broker; the channel close is bounded by the stop deadline. A clean stop
// loses nothing and handles nothing twice.
//
// Its [Consumer.Account] counts messages: those handed back to the broker — prefetched and not
// started, cut in the handler, failed in the handler, or handled but whose ack could not be
// sent (all of which the broker delivers again) — and, with [WithAutoAck], those received and
// not handled, which are lost.
//
// A Consumer runs once, in one app. Add the connection's [Conn] before it (or name it in the
// consumer's grace.DependsOn), so the connection closes after the consumer stopped.
type Consumer struct {
	conn   *amqp.Connection
	queue  string
	handle Handler
	cfg    config

	mu         sync.Mutex
	ch         *amqp.Channel
	tag        string
	deliveries <-chan amqp.Delivery
	chClosed   chan *amqp.Error // the channel's NotifyClose
	cancelled  chan string      // the channel's NotifyCancel: the broker cancelled the subscription
	ran        bool             // Run was called
	runDone    chan struct{}    // closed when Run returns; nil before Run
	stopping   bool
	stopCh     chan struct{}           // closed when Stop begins
	cutCh      chan struct{}           // closed at the cut point
	abandonCh  chan struct{}           // closed when Run must return without waiting for the subscription's end
	cutHandler context.CancelCauseFunc // ends the handler's ctx; nil outside Run
	inHand     int64                   // deliveries given to the handler, not yet settled
	held       int64                   // deliveries received after the stop began, not yet handed back
	handedBack int64
	lost       int64
}

// NewConsumer returns a component that consumes queue on conn and hands each delivery to
// handle. Declare the queue beforehand; nothing is sent to the broker before Start.
func NewConsumer(conn *amqp.Connection, queue string, handle Handler, opts ...Option) *Consumer {
	return &Consumer{conn: conn, queue: queue, handle: handle, cfg: newConfig(opts),
		stopCh: make(chan struct{}), cutCh: make(chan struct{}), abandonCh: make(chan struct{})}
}

// Validate reports what is wrong with the consumer's configuration — the connection (nil, or
// with automatic recovery on), an empty queue name, a nil handler, bad options — as a
// *grace.ConfigError.
func (c *Consumer) Validate() error {
	return c.cfg.Err(connProblem(c.conn),
		option.Check(c.queue == "", "queue name must not be empty"),
		option.Check(c.handle == nil, "nil handler"))
}

// Start checks the configuration (Validate), opens the consumer's channel, sets its prefetch count and
// subscribes to the queue, each bounded by ctx: a closed connection, a missing queue or a bad
// option fails the app's start with a clear error. The broker may start delivering as soon as
// Start returns; the deliveries wait for Run.
func (c *Consumer) Start(ctx context.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	tag := c.cfg.tag
	if tag == "" {
		b := make([]byte, 6)
		rand.Read(b)
		tag = "grace-" + c.queue + "-" + hex.EncodeToString(b)
	}
	var ch *amqp.Channel
	err := bounded(ctx, func() (err error) {
		ch, err = c.conn.Channel()
		return err
	})
	if err != nil {
		return fmt.Errorf("open amqp channel for queue %q: %w", c.queue, err)
	}
	var deliveries <-chan amqp.Delivery
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	cancelled := ch.NotifyCancel(make(chan string, 1))
	subscribed := make(chan error, 1)
	go func() {
		subscribed <- func() (err error) {
			if !c.cfg.autoAck {
				if err := ch.Qos(c.cfg.prefetch, 0, false); err != nil {
					return fmt.Errorf("set prefetch %d: %w", c.cfg.prefetch, err)
				}
			}
			deliveries, err = ch.Consume(c.queue, tag, c.cfg.autoAck, false, false, false, nil)
			return err
		}()
	}()
	select {
	case err = <-subscribed:
	case <-ctx.Done():
		// Given up on, the Qos or Consume call is still on its way to the broker. Closing the
		// channel now would let the broker close it before that frame arrives, which it answers
		// by closing the whole connection (504 CHANNEL_ERROR): close it once the call returned
		// (at the latest when the connection closes).
		go func() { <-subscribed; ch.Close() }()
		return fmt.Errorf("consume amqp queue %q: %w", c.queue, context.Cause(ctx))
	}
	if err != nil {
		go ch.Close() // a failed Consume has closed it already; otherwise this ends with the connection
		return fmt.Errorf("consume amqp queue %q: %w", c.queue, err)
	}
	c.mu.Lock()
	c.ch, c.tag, c.deliveries, c.chClosed, c.cancelled = ch, tag, deliveries, closed, cancelled
	c.mu.Unlock()
	return nil
}

func (c *Consumer) count(n *int64, d int64) {
	c.mu.Lock()
	*n += d
	c.mu.Unlock()
}

// settle moves a delivery in hand to the count n.
func (c *Consumer) settle(n *int64) {
	c.mu.Lock()
	c.inHand--
	*n++
	c.mu.Unlock()
}

func (c *Consumer) isStopping() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopping
}

func (c *Consumer) cutClosed() bool { return closed(c.cutCh) }

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// closedError describes why the deliveries ended while the app runs: the broker cancelled the
// subscription (the queue was deleted, or its node went down), or the channel closed, with the
// broker's reason if it gave one.
func (c *Consumer) closedError() error {
	select {
	case _, ok := <-c.cancelled: // closed, not sent to, when the channel closes
		if !ok {
			break
		}
		return &ClosedError{What: fmt.Sprintf("subscription of consumer %q to queue %q (cancelled by the broker: queue deleted?)", c.tag, c.queue)}
	default:
	}
	e := &ClosedError{What: fmt.Sprintf("channel of consumer %q on queue %q", c.tag, c.queue)}
	select {
	case reason, ok := <-c.chClosed:
		if ok {
			e.Err = reason
		}
	default:
	}
	return e
}

// Account returns the messages the consumer handed back to the broker and, with [WithAutoAck],
// those it lost. Deliveries still in hand or received and not yet handed back count as handed
// back (as lost with auto-ack): the broker requeues unacknowledged deliveries when the channel
// closes. It is safe to call at any time, concurrently with the stop.
func (c *Consumer) Account() grace.Account {
	c.mu.Lock()
	defer c.mu.Unlock()
	pending := c.inHand + c.held
	if c.cfg.autoAck {
		return grace.Account{Unit: "messages", Lost: c.lost + pending, HandedBack: c.handedBack}
	}
	return grace.Account{Unit: "messages", Lost: c.lost, HandedBack: c.handedBack + pending}
}
