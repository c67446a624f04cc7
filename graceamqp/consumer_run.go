package graceamqp

import (
	"context"
	"errors"

	"github.com/gracekit/grace"
	amqp "github.com/rabbitmq/amqp091-go"
)

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
		cutHandler(grace.ErrCut)
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
		if err := c.process(hctx, ch, d); err != nil && !errors.Is(err, grace.ErrCut) {
			return err
		}
	}
}

// process hands d to the handler and settles it: ack (unless auto-ack) on success; on failure
// nack with requeue, or count it lost with auto-ack. It returns grace.ErrCut if the handler was cut.
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
			return grace.ErrCut
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
