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
	go func() {
		pprof.SetGoroutineLabels(r.labels(n, "run"))
		defer close(n.runDone)
		r.supervise(ctx, n)
	}()
}

func (r *run) supervise(ctx context.Context, n *node) {
	a := r.app
	runner := n.c.(Runner)
	backoff := time.Duration(0)
	if p := n.cfg.restart; p != nil {
		backoff = p.min
	}
	for {
		err := safely(ctx, runner.Run)
		if n.stopping.Load() || ctx.Err() != nil {
			// Stopping: the error, if it is not just the cancellation, belongs to the stop.
			if err != nil && !errors.Is(err, context.Canceled) {
				n.runErr = err
			}
			return
		}
		var pe *PanicError
		if errors.As(err, &pe) {
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
		if err == nil {
			n.setState(StateDone, nil)
			return
		}
		werr := wrap(n.name, "run", err)
		n.setState(StateFailed, werr)
		r.fail(werr)
		if a.trigger(Trigger{Kind: TriggerFailure, Component: n.name, Reason: err.Error()}) {
			a.log().Error("grace: worker failed, stopping", "component", n.name, "error", err)
		}
		return
	}
}
