package grace

import (
	"cmp"
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
	// ErrCut is matched by every error that says a component cut work at its hard deadline —
	// requests or RPCs cancelled, connections closed under a query, acknowledgements no longer
	// awaited. Every such error of the adapters in this repository also implements [CutError].
	ErrCut = errors.New("work cut at the deadline")
	// ErrInUse is matched by an [InUseError].
	ErrInUse = errors.New("still in use at the stop")
)

// CutError is implemented by every error that says a component cut work at its hard deadline
// (gracehttp's, gracegrpc's and gracefasthttp's CutError, an [InUseError] with Forced set, …).
// Each matches [ErrCut]. Cut returns how many units were cut and what they are, plural
// ("requests", "rpcs", "connections"); telemetry counts them (graceotel's grace.forced_closes).
// Cut work is also counted in the component's [Account] when it was accepted and is not coming
// back.
type CutError interface {
	error
	Cut() (n int, unit string)
}

// InUseError says that a component's stop found units — connections, mostly — still held by
// their users. Forced of them were closed at the hard deadline, cutting the work running on them
// (it matches [ErrCut] then, and implements [CutError]); the others were left open until their
// holders release them, or the process exits. It matches [ErrInUse].
type InUseError struct {
	Unit   string // what was in use, plural: "connections"
	InUse  int    // in use when the stop began
	Forced int    // of them, closed at the hard deadline under their users
}

func (e *InUseError) Error() string {
	unit := cmp.Or(e.Unit, "units")
	if e.Forced > 0 {
		return fmt.Sprintf("%d %s still in use at the hard deadline (%d when the stop began): closed under their users",
			e.Forced, unit, e.InUse)
	}
	return fmt.Sprintf("%d %s still in use at the stop: left open until released", e.InUse, unit)
}

// Is reports whether target is [ErrInUse], or [ErrCut] when some were forced closed.
func (e *InUseError) Is(target error) bool {
	return target == ErrInUse || (target == ErrCut && e.Forced > 0)
}

// Cut returns how many were forced closed, and the unit.
func (e *InUseError) Cut() (int, string) { return e.Forced, cmp.Or(e.Unit, "units") }

// ConfigError lists everything wrong with an app's configuration, found before anything starts.
// Components report their own problems the same way: a [Validator] returns a ConfigError (every
// adapter in this repository does), and the app's ConfigError lists each of its problems,
// prefixed with the component's name.
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
