package gracenats

import (
	"errors"
	"fmt"

	"github.com/gracekit/grace"
)

// Sentinel errors, for errors.Is.
var (
	// ErrNotDrained is matched by a [NotDrainedError].
	ErrNotDrained = errors.New("nats connection closed without draining")
	// ErrUnacked is matched by an [UnackedError].
	ErrUnacked = errors.New("jetstream publishes not acknowledged")
)

// NotDrainedError says that the connection could not be drained because the server was
// unreachable when the stop began (the client was reconnecting): nats.go closed it at once.
// Publishes buffered for the reconnect were lost.
type NotDrainedError struct {
	BufferedBytes int   // bytes of publishes buffered when the stop began
	Publishes     int64 // publishes made since the server went out of reach: lost
	Err           error
}

func (e *NotDrainedError) Error() string {
	return fmt.Sprintf("%s: server unreachable, %d publishes (%d bytes) buffered and dropped: %v", ErrNotDrained, e.Publishes, e.BufferedBytes, e.Err)
}

// Is reports whether target is [ErrNotDrained].
func (e *NotDrainedError) Is(target error) bool { return target == ErrNotDrained }

// Unwrap returns nats.go's error (nats.ErrConnectionReconnecting).
func (e *NotDrainedError) Unwrap() error { return e.Err }

// CutError says that a component's stop cut work in hand at its cut point ([grace.CutAt] with
// [WithCutMargin]) or at its deadline: a [Conn] whose drain had not finished, closed under its
// subscriptions (Messages is 0 then: nats.go does not say how many it dropped), or a [Consumer]
// whose handler still held a message, handed back with those pulled ahead. It matches
// [grace.ErrCut] and implements [grace.CutError].
type CutError struct {
	What     string // what was cut: "drain", "handler"
	Messages int    // messages cut, where known
	Err      error  // why: the cut point, or the stop context's cause
}

func (e *CutError) Error() string {
	if e.Messages == 0 {
		return fmt.Sprintf("%s cut at the deadline: %v", e.What, e.Err)
	}
	return fmt.Sprintf("%s cut at the deadline, %d messages handed back: %v", e.What, e.Messages, e.Err)
}

// Is reports whether target is [grace.ErrCut].
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns how many messages were cut, in the unit of the components' accounts.
func (e *CutError) Cut() (int, string) { return e.Messages, "messages" }

// Unwrap returns why the work was cut.
func (e *CutError) Unwrap() error { return e.Err }

// UnackedError says that a [Publisher]'s stop ended with asynchronous publishes the server had
// not acknowledged: cut at the cut point, they count as lost. Messages is how many. It matches
// [ErrUnacked] and [grace.ErrCut], and implements [grace.CutError].
type UnackedError struct {
	Messages int
	Err      error // why the wait ended: the cut, usually
}

func (e *UnackedError) Error() string {
	return fmt.Sprintf("%d publishes not acknowledged at the cut: %v", e.Messages, e.Err)
}

// Is reports whether target is [ErrUnacked] or [grace.ErrCut].
func (e *UnackedError) Is(target error) bool { return target == ErrUnacked || target == grace.ErrCut }

// Cut returns how many publishes were left unacknowledged.
func (e *UnackedError) Cut() (int, string) { return e.Messages, "messages" }

// Unwrap returns why the wait ended.
func (e *UnackedError) Unwrap() error { return e.Err }

// HandlerError is a handler's error for one message. The consumer's Run returns it, which stops
// the app (see grace.Runner); the message is negatively acknowledged, so the server delivers it
// again (to another instance, or after the restart).
type HandlerError struct {
	Stream   string
	Consumer string
	Sequence uint64 // the message's stream sequence
	Err      error
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("handle jetstream message %s/%s #%d: %v", e.Stream, e.Consumer, e.Sequence, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }
