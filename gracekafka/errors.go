package gracekafka

import (
	"errors"
	"fmt"

	"github.com/gracekit/grace"
)

// ErrUndelivered is matched by an [UndeliveredError].
var ErrUndelivered = errors.New("kafka records not delivered")

// CutError says that a [Consumer]'s stop reached its cut point ([grace.CutAt] with
// [WithCutMargin]) with records of its batch not yet handled: the handler's ctx was cancelled,
// and those records were handed back to the group uncommitted. It matches [grace.ErrCut] and
// implements [grace.CutError].
type CutError struct {
	Records int64 // records of the batch in hand not handled, the one in the handler included
}

func (e *CutError) Error() string {
	return fmt.Sprintf("batch cut at the cut point before the stop deadline: %d records handed back", e.Records)
}

// Is reports whether target is [grace.ErrCut].
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns how many records were cut.
func (e *CutError) Cut() (int, string) { return int(e.Records), "records" }

// UndeliveredError says that a [Producer]'s flush ended, at its cut point or on an error, with
// records still buffered; closing the client failed them, and they count as lost. Records is
// how many. It matches [ErrUndelivered] and [grace.ErrCut], and implements [grace.CutError].
type UndeliveredError struct {
	Records int64
	Err     error // why the flush ended: the stop context's cause, usually
}

func (e *UndeliveredError) Error() string {
	return fmt.Sprintf("flush cut: %d records not delivered: %v", e.Records, e.Err)
}

// Is reports whether target is [ErrUndelivered] or [grace.ErrCut].
func (e *UndeliveredError) Is(target error) bool {
	return target == ErrUndelivered || target == grace.ErrCut
}

// Cut returns how many records were not delivered.
func (e *UndeliveredError) Cut() (int, string) { return int(e.Records), "records" }

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
