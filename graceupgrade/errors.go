package graceupgrade

import (
	"errors"
	"fmt"
)

var (
	// ErrUnsupported is returned on systems without Unix descriptor passing (Windows).
	ErrUnsupported = errors.New("graceupgrade: upgrades need a Unix system")
	// ErrInProgress refuses an upgrade while another one is under way: never two successors.
	ErrInProgress = errors.New("an upgrade is already in progress")
	// ErrNotServing refuses an upgrade while the app is not ready (still starting, stopping, or
	// already handed over to a successor).
	ErrNotServing = errors.New("the app is not serving")
	// ErrSuccessorExited: the successor exited (or closed its ready pipe) before it was ready.
	ErrSuccessorExited = errors.New("successor exited before it was ready")
	// ErrReadyTimeout: the successor was not ready within the ready timeout.
	ErrReadyTimeout = errors.New("successor not ready in time")
	// ErrCancelled: the upgrade was abandoned because the app began to stop, or the caller's
	// context ended.
	ErrCancelled = errors.New("upgrade cancelled")
	// ErrDuplicateName: a listener name was used twice.
	ErrDuplicateName = errors.New("listener name already used")
	// ErrWrongType: an inherited descriptor under the name is not the kind of socket asked for.
	ErrWrongType = errors.New("inherited descriptor is not the kind of socket asked for")
)

// UpgradeError is a failed upgrade attempt: its number, the successor's PID (0 if it never
// started) and why. It matches [ErrSuccessorExited], [ErrReadyTimeout] or [ErrCancelled] with
// errors.Is, or carries the error that kept the successor from starting.
type UpgradeError struct {
	Attempt int
	PID     int
	Err     error
}

func (e *UpgradeError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("upgrade %d failed: %v", e.Attempt, e.Err)
	}
	return fmt.Sprintf("upgrade %d failed: successor %d: %v", e.Attempt, e.PID, e.Err)
}

func (e *UpgradeError) Unwrap() error { return e.Err }
