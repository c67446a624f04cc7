package gracekafka

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, for errors.Is.
var (
	// ErrInvalid is matched by a [Consumer] configured wrongly: see [ConfigError].
	ErrInvalid = errors.New("invalid kafka consumer configuration")
	// ErrUndelivered is matched by an [UndeliveredError].
	ErrUndelivered = errors.New("kafka records not delivered")
)

// ConfigError lists what is wrong with a consumer's configuration. Start returns it before it
// connects to anything.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: %s", ErrInvalid, strings.Join(e.Problems, "; "))
}

// Is reports whether target is [ErrInvalid].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalid }

// UndeliveredError says that a [Producer]'s flush ended, at its deadline or on an error, with
// records still buffered; closing the client failed them. Records is how many.
type UndeliveredError struct {
	Records int64
	Err     error // why the flush ended: the stop context's cause, usually
}

func (e *UndeliveredError) Error() string {
	return fmt.Sprintf("flush kafka producer: %d records not delivered: %v", e.Records, e.Err)
}

// Is reports whether target is [ErrUndelivered].
func (e *UndeliveredError) Is(target error) bool { return target == ErrUndelivered }

// Unwrap returns why the flush ended.
func (e *UndeliveredError) Unwrap() error { return e.Err }

// HandlerError is a handler's error for one record. The consumer's Run returns it, which stops
// the app (see grace.Runner); the record's offset is not committed, so the record is delivered
// again after a restart.
type HandlerError struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error
}

func (e *HandlerError) Error() string {
	return fmt.Sprintf("handle kafka record %s/%d@%d: %v", e.Topic, e.Partition, e.Offset, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }
