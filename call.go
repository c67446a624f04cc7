package grace

import (
	"context"
	"errors"
	"runtime/debug"
	"runtime/pprof"
)

// invoke calls f in a goroutine of the engine's (counted in spawned) labelled for the
// component's operation op, and waits for it until ctx is done. A panic becomes a *PanicError.
// If ctx ends first, invoke returns context.Cause(ctx) at once and the call is abandoned: its
// goroutine finishes on its own, and abandoned is true.
func (r *run) invoke(ctx context.Context, n *node, op string, f func(context.Context) error) (err error, abandoned bool) {
	if n.nothingToCall(op) {
		return nil, false
	}
	done := make(chan error, 1) // buffered: an abandoned call must still be able to finish
	labels := r.labels(n, op)
	r.spawn(func() {
		pprof.SetGoroutineLabels(labels)
		// A Goexit ends this goroutine before safely returns: its error is sent from the unwind.
		done <- safely(ctx, f, func(err error) { done <- err })
	})
	select {
	case err := <-done:
		return explain(ctx, err), false
	case <-ctx.Done():
		// A call that finished at the same moment is not abandoned.
		select {
		case err := <-done:
			return explain(ctx, err), false
		default:
		}
		return context.Cause(ctx), true
	}
}

// nothingToCall reports whether the component's op is a [Hook]'s nil field: nothing to call,
// so no goroutine to start.
func (n *node) nothingToCall(op string) bool {
	var h Hook
	switch c := n.c.(type) {
	case Hook:
		h = c
	case *Hook:
		if c == nil {
			return false
		}
		h = *c
	default:
		return false
	}
	switch op {
	case "start":
		return h.OnStart == nil
	case "drain":
		return h.OnDrain == nil
	case "stop":
		return h.OnStop == nil
	}
	return false
}

// explain replaces a bare context error from a call whose ctx ended with the ctx's cause (a
// *TimeoutError naming the limit, say): "context deadline exceeded" alone says nothing.
func explain(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			return cause
		}
	}
	return err
}

// safely calls f, turning a panic into a *PanicError with the stack. If f calls runtime.Goexit,
// nothing can stop the goroutine from ending, so safely never returns: it calls goexit with a
// *GoexitError (the stack where Goexit was called) while the goroutine unwinds.
func safely(ctx context.Context, f func(context.Context) error, goexit func(error)) (err error) {
	returned := false
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
			return
		}
		if !returned {
			goexit(&GoexitError{Stack: debug.Stack()})
		}
	}()
	err = f(ctx)
	returned = true
	return err
}

// errStopping is the cause given to a Runner's context at its turn to stop.
var errStopping = errors.New("component stopping")

// contextDeadlineExceeded lets TimeoutError match context.DeadlineExceeded without importing
// context into errors.go's contract.
var contextDeadlineExceeded = context.DeadlineExceeded

func wrap(component, op string, err error) error {
	if err == nil {
		return nil
	}
	return &ComponentError{Component: component, Op: op, Err: err}
}
