package graceredis

import (
	"errors"
	"fmt"
)

// ErrInUse is matched by an [InUseError].
var ErrInUse = errors.New("connections still in use at close")

// InUseError says that connections were still in use when the client closed, so the commands
// on them were cut.
type InUseError struct {
	InUseAtStop  int // connections in use when Stop was called
	InUseAtClose int // connections still in use when the client closed: their commands failed
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%d connections still in use at close (%d when the stop began): their commands were cut",
		e.InUseAtClose, e.InUseAtStop)
}

// Is reports whether target is [ErrInUse].
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// ForcedCloses returns how many connections were cut, for telemetry (graceotel counts it in
// grace.forced_closes).
func (e *InUseError) ForcedCloses() int { return e.InUseAtClose }
