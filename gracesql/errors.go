package gracesql

import (
	"errors"
	"fmt"
)

// ErrInUse is matched by an [InUseError].
var ErrInUse = errors.New("connections still in use at close")

// InUseError says that the pool was closed while connections were still in use: something that
// uses the pool outlived its turn to stop. Those connections stay open until their holders
// release them (or the process exits).
type InUseError struct {
	InUse int // connections in use when Close was called
	Open  int // open connections, in use or idle, when Close was called
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%d of %d connections still in use at close", e.InUse, e.Open)
}

// Is reports whether target is [ErrInUse].
func (e *InUseError) Is(target error) bool { return target == ErrInUse }
