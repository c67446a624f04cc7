package graceamqp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/gracekit/grace"
	amqp "github.com/rabbitmq/amqp091-go"
)

var (
	_ grace.Starter   = (*Consumer)(nil)
	_ grace.Runner    = (*Consumer)(nil)
	_ grace.Stopper   = (*Consumer)(nil)
	_ grace.Accounter = (*Consumer)(nil)
)

// Handler handles one delivery. The consumer calls it for one delivery at a time, in the order
// the broker delivers them. ctx ends only at the consumer's cut point — shortly before its stop
// deadline ([WithCutMargin]), with cause [ErrCut] — or at the app's hard stop, so a handler that
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

// Start checks the configuration, opens the consumer's channel, sets its prefetch count and
// subscribes to the queue, each bounded by ctx: a closed connection, a missing queue or a bad
// option fails the app's start with a clear error. The broker may start delivering as soon as
// Start returns; the deliveries wait for Run.
func (c *Consumer) Start(ctx context.Context) error {
	var problems []string
	if c.conn == nil {
		problems = append(problems, "nil *amqp.Connection")
	} else if c.conn.IsRecoveryEnabled() {
		problems = append(problems, "the connection has automatic recovery on (amqp.Config.Recovery): the consumer cannot account for deliveries across a reconnect; leave it off and let the app stop and be restarted")
	}
	if c.queue == "" {
		problems = append(problems, "queue name must not be empty")
	}
	if c.handle == nil {
		problems = append(problems, "nil handler")
	}
	problems = append(problems, c.cfg.problems...)
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
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

// Run hands the deliveries to the handler until the consumer's stop has cancelled the
// subscription and every delivery still coming has been received, then hands back those
// received after the stop began and returns nil. A handler's error ends Run with a
// [HandlerError]. If the broker or the network closes the channel while the app runs, Run
// returns a [ClosedError]. A panic in the handler propagates to the engine after the delivery
// is handed back.
func (c *Consumer) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.ch == nil {
		c.mu.Unlock()
		return errors.New("graceamqp: consumer not started")
	}
	if c.ran {
		c.mu.Unlock()
		return errors.New("graceamqp: a consumer runs once")
	}
	c.ran = true
	done := make(chan struct{})
	defer close(done)
	c.runDone = done
	hctx, cutHandler := context.WithCancelCause(ctx)
	defer cutHandler(nil)
	c.cutHandler = cutHandler
	if c.stopping && c.cutClosed() {
		cutHandler(ErrCut)
	}
	ch, deliveries := c.ch, c.deliveries
	c.mu.Unlock()

	var held []amqp.Delivery // received after the stop began and not started (nor lost)
	drained := false         // the delivery channel closed after the stop's cancel
	defer func() { c.handBack(ch, held, drained) }()
	for {
		var d amqp.Delivery
		var ok bool
		select {
		case d, ok = <-deliveries:
		case <-c.abandonCh:
			return nil
		case <-ctx.Done():
			return nil
		}
		if !ok {
			if c.isStopping() {
				drained = true
				return nil
			}
			return c.closedError()
		}
		switch {
		case c.isStopping() && !c.cfg.autoAck:
			held = append(held, d) // prefetched, not started: handed back once the subscription ended
			c.count(&c.held, 1)
			continue
		case c.cutClosed(): // auto-ack, past the cut point: no time to handle it
			c.count(&c.lost, 1)
			continue
		}
		if err := c.process(hctx, ch, d); err != nil && !errors.Is(err, ErrCut) {
			return err
		}
	}
}

// process hands d to the handler and settles it: ack (unless auto-ack) on success; on failure
// nack with requeue, or count it lost with auto-ack. It returns ErrCut if the handler was cut.
func (c *Consumer) process(hctx context.Context, ch *amqp.Channel, d amqp.Delivery) error {
	c.count(&c.inHand, 1)
	tr := &tracker{Acknowledger: d.Acknowledger}
	if d.Acknowledger != nil {
		d.Acknowledger = tr
	}
	settled := false
	defer func() {
		if !settled { // the handler panicked
			c.giveUp(ch, d, tr)
		}
	}()
	herr := c.handle(hctx, d)
	settled = true
	if done, requeued := tr.state(); done && !c.cfg.autoAck {
		// The handler settled the delivery itself; acking it again would close the channel.
		if requeued {
			c.settle(&c.handedBack)
		} else {
			c.count(&c.inHand, -1)
		}
		if herr != nil && hctx.Err() == nil {
			return &HandlerError{Queue: c.queue, DeliveryTag: d.DeliveryTag, Err: herr}
		}
		return nil
	}
	if herr != nil {
		c.giveUp(ch, d, tr)
		if hctx.Err() != nil {
			return ErrCut
		}
		return &HandlerError{Queue: c.queue, DeliveryTag: d.DeliveryTag, Err: herr}
	}
	if c.cfg.autoAck {
		c.count(&c.inHand, -1)
		return nil
	}
	if err := ch.Ack(d.DeliveryTag, false); err != nil {
		c.cfg.logger.Warn("graceamqp: ack failed; the broker will deliver the message again", "queue", c.queue, "tag", d.DeliveryTag, "error", err)
		c.settle(&c.handedBack)
		return nil
	}
	c.count(&c.inHand, -1)
	return nil
}

// giveUp settles a delivery in hand that was not handled: handed back with a nack (the broker
// also requeues it if the nack cannot be sent, when the channel closes), or lost with auto-ack.
func (c *Consumer) giveUp(ch *amqp.Channel, d amqp.Delivery, tr *tracker) {
	if c.cfg.autoAck {
		c.settle(&c.lost)
		return
	}
	if done, requeued := tr.state(); done {
		if requeued {
			c.settle(&c.handedBack)
		} else {
			c.count(&c.inHand, -1)
		}
		return
	}
	if err := ch.Nack(d.DeliveryTag, false, true); err != nil {
		c.cfg.logger.Warn("graceamqp: nack failed; the broker will deliver the message again when the channel closes", "queue", c.queue, "tag", d.DeliveryTag, "error", err)
	}
	c.settle(&c.handedBack)
}

// handBack hands back the deliveries received after the stop began. Once the subscription is
// cancelled (drained), it nacks them with requeue; otherwise — the broker did not confirm the
// cancel by the cut point — it leaves them to the channel's close, which requeues them too,
// since a nack now could bring them straight back.
func (c *Consumer) handBack(ch *amqp.Channel, held []amqp.Delivery, drained bool) {
	if len(held) == 0 {
		return
	}
	if drained {
		// One nack for all: every delivery up to the last tag not yet acked is requeued, and the
		// deliveries in hand were settled before.
		if err := ch.Nack(held[len(held)-1].DeliveryTag, true, true); err != nil {
			c.cfg.logger.Warn("graceamqp: nack of the prefetched deliveries failed; the broker requeues them when the channel closes", "queue", c.queue, "error", err)
		}
	}
	c.mu.Lock()
	c.held -= int64(len(held))
	c.handedBack += int64(len(held))
	c.mu.Unlock()
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

// Stop is the consumer's turn to stop. It cancels the subscription (waiting for the broker to
// confirm, so no delivery is in flight), waits for Run to finish the delivery in hand, ack it
// and hand back (nack with requeue) the deliveries prefetched but not started, then closes the
// channel, which returns to the broker anything still unacknowledged.
//
// Stop waits for the broker and for the handler until the cut point ([grace.CutAt] of ctx with
// [WithCutMargin]); there it cancels the handler's ctx (cause [ErrCut]) and stops waiting — what
// was not acked then is handed back when the channel or the connection closes — and the channel
// close is bounded by ctx's deadline (and not waited for at all if the broker did not answer the
// cancel). It returns an error naming each step that failed or found no answer. Calling Stop
// again does nothing more.
func (c *Consumer) Stop(ctx context.Context) error {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return nil
	}
	c.stopping = true
	close(c.stopCh)
	ch, tag, done := c.ch, c.tag, c.runDone
	c.mu.Unlock()
	if ch == nil {
		return nil // never started
	}
	cutCtx := ctx
	if at, ok := grace.CutAt(ctx, c.cfg.cutMargin); ok {
		var cancel context.CancelFunc
		cutCtx, cancel = context.WithDeadline(ctx, at)
		defer cancel()
	}
	var errs []error
	cancelled := make(chan error, 1)
	go func() { cancelled <- ch.Cancel(tag, false) }() // returns when the broker answers or the connection closes
	// Run finishes the delivery in hand, then receives what is still coming until the
	// subscription ends (the broker confirmed the cancel): the cut point bounds both.
	var cancelErr error
	cancelDone := false
	if done != nil {
		select {
		case <-done:
		case <-cutCtx.Done():
		}
	}
	select {
	case cancelErr = <-cancelled:
		cancelDone = true
	default:
		select { // (checked first above: past the cut point both may be ready)
		case cancelErr = <-cancelled:
			cancelDone = true
		case <-cutCtx.Done():
		}
	}
	if done != nil && !closed(done) {
		// Past the cut point: cut the handler. If the broker confirmed the cancel, the
		// subscription's last deliveries are already here and Run still counts them; if not,
		// Run stops waiting for them.
		c.cut()
		if !cancelDone {
			c.abandon()
		}
		select {
		case <-done:
		case <-ctx.Done():
			c.abandon()
			errs = append(errs, fmt.Errorf("the handler of queue %q did not return after its ctx was cut: %w", c.queue, context.Cause(ctx)))
		}
	}
	switch {
	case !cancelDone:
		c.cfg.logger.Warn("graceamqp: the broker did not confirm the consumer's cancel by the cut point", "queue", c.queue, "consumer", tag)
		errs = append(errs, fmt.Errorf("cancel amqp consumer %q: no answer from the broker: %w", tag, context.Cause(cutCtx)))
	case cancelErr != nil && !errors.Is(cancelErr, amqp.ErrClosed):
		errs = append(errs, fmt.Errorf("cancel amqp consumer %q: %w", tag, cancelErr))
	}
	if !cancelDone {
		// The broker does not answer: it would not answer the channel's close either. The close
		// is sent without waiting; it returns when the connection closes.
		go ch.Close()
		return errors.Join(errs...)
	}
	if err := bounded(ctx, ch.Close); err != nil && !errors.Is(err, amqp.ErrClosed) {
		errs = append(errs, fmt.Errorf("close amqp channel of consumer %q: %w", tag, err))
	}
	return errors.Join(errs...)
}

// abandon makes Run return without waiting for the subscription's end, once.
func (c *Consumer) abandon() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !closed(c.abandonCh) {
		close(c.abandonCh)
	}
}

// cut closes cutCh and cancels the handler's ctx, once.
func (c *Consumer) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cutClosed() {
		return
	}
	close(c.cutCh)
	if c.cutHandler != nil {
		c.cutHandler(ErrCut)
	}
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

// tracker is the Acknowledger a handler sees: it notes whether the handler acked, nacked or
// rejected the delivery itself, so the consumer does not settle it a second time (which the
// broker answers by closing the channel).
type tracker struct {
	amqp.Acknowledger
	mu       sync.Mutex
	done     bool
	requeued bool
}

func (t *tracker) mark(requeue bool) {
	t.mu.Lock()
	t.done, t.requeued = true, requeue
	t.mu.Unlock()
}

func (t *tracker) state() (done, requeued bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.done, t.requeued
}

// Ack acks the delivery and notes that the handler settled it.
func (t *tracker) Ack(tag uint64, multiple bool) error {
	t.mark(false)
	return t.Acknowledger.Ack(tag, multiple)
}

// Nack nacks the delivery and notes that the handler settled it.
func (t *tracker) Nack(tag uint64, multiple, requeue bool) error {
	t.mark(requeue)
	return t.Acknowledger.Nack(tag, multiple, requeue)
}

// Reject rejects the delivery and notes that the handler settled it.
func (t *tracker) Reject(tag uint64, requeue bool) error {
	t.mark(requeue)
	return t.Acknowledger.Reject(tag, requeue)
}
