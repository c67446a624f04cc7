package gracenats

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, for errors.Is.
var (
	// ErrNotDrained is matched by a [NotDrainedError].
	ErrNotDrained = errors.New("nats connection closed without draining")
	// ErrInvalid is matched by a [ConfigError].
	ErrInvalid = errors.New("invalid jetstream consumer configuration")
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

// ConfigError lists what is wrong with a [Consumer]'s configuration, found by Start.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s", ErrInvalid, strings.Join(e.Problems, "; "))
}

// Is reports whether target is [ErrInvalid].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalid }

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
