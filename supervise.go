package grace

import (
	"context"
	"errors"
	"runtime/pprof"
	"time"
)

// launchRun starts a Runner's supervised goroutine. Run gets a context that is cancelled at the
// component's turn to stop (see [Runner] for the soft stop of a Runner that is also a Stopper).
// A panic is recovered with its stack; with [RestartOnPanic] the worker starts again after a
// backoff, otherwise — like an error — it stops the app.
func (r *run) launchRun(n *node) {
	ctx, cancel := context.WithCancelCause(context.Background())
	n.runCancel = cancel
	n.runDone = make(chan struct{})
	r.spawn(func() {
		pprof.SetGoroutineLabels(r.labels(n, "run"))
		defer close(n.runDone)
		r.supervise(ctx, n)
	})
}

func (r *run) supervise(ctx context.Context, n *node) {
	a := r.app
	runner := n.c.(Runner)
	backoff := time.Duration(0)
	if p := n.cfg.restart; p != nil {
		backoff = p.min
	}
	for {
		// A Goexit in Run ends this goroutine inside safely: the failure is recorded on the way
		// out, before runDone closes.
		err := safely(ctx, runner.Run, func(err error) { r.runEnded(ctx, n, err) })
		var pe *PanicError
		if errors.As(err, &pe) && !n.stopping.Load() && ctx.Err() == nil {
			a.log().Error("grace: worker panicked", "component", n.name, "panic", pe.Value, "stack", string(pe.Stack))
			n.repMu.Lock()
			n.rep.Panicked, n.rep.Stack = true, string(pe.Stack)
			n.repMu.Unlock()
			if p := n.cfg.restart; p != nil {
				n.repMu.Lock()
				n.rep.Restarts++
				n.repMu.Unlock()
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				case <-r.app.trigCh:
					// The app is stopping: don't start the worker again.
					t.Stop()
					return
				}
				backoff = min(2*backoff, p.max)
				continue
			}
		}
		r.runEnded(ctx, n, err)
		return
	}
}

// runEnded records how a worker's Run ended for good: during its stop, the error belongs to the
// stop; before it, nil means the work is done and anything else stops the app.
func (r *run) runEnded(ctx context.Context, n *node, err error) {
	a := r.app
	if n.stopping.Load() || ctx.Err() != nil {
		// Stopping: the error, if it is not just the cancellation, belongs to the stop.
		if err != nil && !errors.Is(err, context.Canceled) {
			n.runErr = err
		}
		return
	}
	if err == nil {
		n.setState(StateDone, nil)
		return
	}
	werr := wrap(n.name, "run", err)
	n.setState(StateFailed, werr)
	n.repMu.Lock()
	n.noteStackLocked(err)
	n.repMu.Unlock()
	r.fail(werr)
	if a.trigger(Trigger{Kind: TriggerFailure, Component: n.name, Reason: err.Error()}) {
		a.log().Error("grace: worker failed, stopping", "component", n.name, "error", err)
	}
}

// noteStackLocked puts the stack of a panic or a Goexit into the component's report.
func (n *node) noteStackLocked(err error) {
	var pe *PanicError
	var ge *GoexitError
	switch {
	case errors.As(err, &pe):
		n.rep.Panicked, n.rep.Stack = true, string(pe.Stack)
	case errors.As(err, &ge) && n.rep.Stack == "":
		n.rep.Stack = string(ge.Stack)
	}
}
