package graceamqp

import (
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

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
