package graceamqp

import (
	"errors"
	"fmt"

	"github.com/gracekit/grace"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Sentinel errors, for errors.Is.
var (
	// ErrClosed is matched by a [ClosedError]: the broker or the network closed a connection or
	// channel while the app was running.
	ErrClosed = errors.New("amqp closed while running")
	// ErrStopped is returned by [Publisher.Publish] once the publisher's stop has begun: the
	// message was not taken.
	ErrStopped = errors.New("amqp publisher stopped")
	// ErrNacked is returned by [Publisher.Publish] when the broker refused the message
	// (basic.nack): the message is not safe with the broker.
	ErrNacked = errors.New("amqp publish refused by the broker")
)

// CutError says that a component's stop reached its cut point ([grace.CutAt] with
// [WithCutMargin]) with work in hand: a [Consumer] whose handler was still running (its ctx was
// cancelled, and the delivery handed back, or lost with [WithAutoAck]), or a [Publisher] with
// publishes the broker had not confirmed (counted as lost). It matches [grace.ErrCut] and
// implements [grace.CutError].
type CutError struct {
	What     string // what was cut: "handler", "confirms"
	Messages int    // messages cut
}

func (e *CutError) Error() string {
	return fmt.Sprintf("%s cut at the cut point before the stop deadline: %d messages", e.What, e.Messages)
}

// Is reports whether target is [grace.ErrCut].
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns how many messages were cut.
func (e *CutError) Cut() (int, string) { return e.Messages, "messages" }

// ClosedError says that the broker (or the network) closed a connection or a channel while the
// app was running — not at the component's stop. A component's Run returns it, which stops the
// app with it: amqp091-go does not reconnect on its own here, so a supervisor should start the
// service again.
type ClosedError struct {
	What string      // "connection", or "channel of consumer <tag>" …
	Err  *amqp.Error // the broker's reason (code and text); nil when the socket was cut
}

func (e *ClosedError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %s closed", ErrClosed, e.What)
	}
	return fmt.Sprintf("%s: %s closed: %v", ErrClosed, e.What, e.Err)
}

// Is reports whether target is [ErrClosed].
func (e *ClosedError) Is(target error) bool { return target == ErrClosed }

// Unwrap returns the broker's reason, if any.
func (e *ClosedError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// HandlerError is a handler's error for one delivery. The consumer's Run returns it, which
// stops the app (see grace.Runner); the delivery is handed back to the broker (nack with
// requeue), or counted as lost with [WithAutoAck]. To skip or retry a message without stopping
// the app, ack or nack it in the handler (d.Ack, d.Nack) and return nil.
type HandlerError struct {
	Queue       string
	DeliveryTag uint64
	Err         error
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("handle amqp delivery #%d of queue %q: %v", e.DeliveryTag, e.Queue, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }
