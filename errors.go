package grace

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors, for errors.Is.
var (
	// ErrInvalid is matched by every configuration error; see [ConfigError].
	ErrInvalid = errors.New("invalid configuration")
	// ErrTimeout is matched by a start or stop that overran its limit; see [TimeoutError].
	ErrTimeout = errors.New("timed out")
	// ErrPanic is matched by a recovered panic; see [PanicError].
	ErrPanic = errors.New("panicked")
	// ErrGoexit is matched by a component call that ended its goroutine with runtime.Goexit
	// (what testing's FailNow and SkipNow do, and log.Fatal does not); see [GoexitError].
	ErrGoexit = errors.New("goroutine exited with runtime.Goexit")
	// ErrForced is matched when a third signal made Run return without waiting.
	ErrForced = errors.New("stop forced by signal")
	// ErrAlreadyRun is returned by a second call to [App.Run].
	ErrAlreadyRun = errors.New("app already run")
)

// ConfigError lists everything wrong with an app's configuration, found before anything starts.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Is reports whether target is [ErrInvalid].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalid }

// ComponentError is an error of one component, wrapped with its name and the operation:
// "start", "run", "drain" or "stop".
type ComponentError struct {
	Component string
	Op        string
	Err       error
}

func (e *ComponentError) Error() string { return e.Op + " " + e.Component + ": " + e.Err.Error() }
func (e *ComponentError) Unwrap() error { return e.Err }

// TimeoutError says that an operation overran its limit and was abandoned. It matches
// [ErrTimeout], and context.DeadlineExceeded for code that checks only that.
type TimeoutError struct {
	Limit time.Duration // the limit in force, after budget caps and escalation
	Cause string        // "component limit", "budget", "escalated budget" or "start timeout"
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %v (%s)", e.Limit.Round(time.Millisecond), e.Cause)
}

// Is reports whether target is ErrTimeout or context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == contextDeadlineExceeded
}

// PanicError is a recovered panic with the stack of the goroutine that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Is reports whether target is [ErrPanic].
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// GoexitError says that a component's Start, Run, Drain or Stop ended its goroutine with
// runtime.Goexit instead of returning. The engine reports it at once, as a failure of that call —
// the same as an error returned by it — with the stack where Goexit was called.
type GoexitError struct {
	Stack []byte
}

func (e *GoexitError) Error() string { return "runtime.Goexit called (the call never returned)" }

// Is reports whether target is [ErrGoexit].
func (e *GoexitError) Is(target error) bool { return target == ErrGoexit }

func errNonPositive(what string, d time.Duration) error {
	return fmt.Errorf("%s must be positive, got %v", what, d)
}
