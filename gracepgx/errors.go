package gracepgx

import (
	"errors"
	"fmt"
)

// ErrStillClosing is returned by a stop that reached its hard deadline with no connection left
// to force closed but pgxpool's Close not returned yet. It finishes on its own.
var ErrStillClosing = errors.New("close pool: still closing at the hard deadline")

// ErrInUse is matched by an [InUseError].
var ErrInUse = errors.New("connections still in use at the hard deadline")

// InUseError says that connections were still acquired at the hard deadline, so the pool
// forced them closed: their running queries were cancelled and their transactions roll back.
type InUseError struct {
	AcquiredAtStop int // connections acquired when Stop was called
	Forced         int // connections still acquired at the hard deadline, forced closed
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%d connections still in use at the hard deadline (%d when the stop began): cancelled their queries and closed them",
		e.Forced, e.AcquiredAtStop)
}

// Is reports whether target is [ErrInUse].
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// ForcedCloses returns how many connections were forced closed, for telemetry (graceotel counts
// it in grace.forced_closes).
func (e *InUseError) ForcedCloses() int { return e.Forced }
