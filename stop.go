package grace

import (
	"context"
	"errors"
	"time"
)

// stopAll stops every started component once everything that depends on it has stopped or been
// abandoned; independent components stop in parallel. A third signal makes it return at once,
// cancelling every worker's context on the way out.
func (r *run) stopAll() {
	results := make(chan *node, len(r.nodes)) // one slot per node: a late stop never blocks
	pending := make([]int, len(r.nodes))
	launch := func(n *node) {
		if _, ok := n.c.(Stopper); (!ok || n.nothingToCall("stop")) && n.runDone == nil {
			r.stopOne(n) // nothing to wait for: no goroutine needed
			results <- n
			return
		}
		r.spawn(func() { r.stopOne(n); results <- n })
	}
	for _, n := range r.nodes {
		pending[n.idx] = len(n.dependents)
		if pending[n.idx] == 0 {
			launch(n)
		}
	}
	for left := len(r.nodes); left > 0; {
		select {
		case n := <-results:
			left--
			for _, d := range n.deps {
				pending[d.idx]--
				if pending[d.idx] == 0 {
					launch(d)
				}
			}
		case <-r.app.forceCh:
			// Forced: no more waiting, but every worker still gets its hard stop.
			for _, n := range r.nodes {
				if n.runCancel != nil {
					n.runCancel(ErrForced)
				}
			}
			return
		}
	}
}

// stopOne stops one component at its turn (step 6 of Run) and records the outcome.
func (r *run) stopOne(n *node) {
	if !n.isStarted() {
		return
	}
	n.stopping.Store(true)
	r.app.emit(Event{Kind: EventStopping, Component: n.name})
	limit := n.stopLimit(r.cfg)
	ctx := r.budget
	if deadline, _ := ctx.Deadline(); time.Now().Add(limit).Before(deadline) {
		// Only a limit shorter than what is left of the budget needs a context of its own.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(r.budget, limit, &TimeoutError{Limit: limit, Cause: "component limit"})
		defer cancel()
	}
	begin := time.Now()
	n.repMu.Lock()
	n.rep.StopAt = begin
	n.repMu.Unlock()

	var err error
	abandoned := false
	stopper, isStopper := n.c.(Stopper)
	if isStopper {
		err, abandoned = r.invoke(ctx, n, "stop", stopper.Stop)
	}
	if n.runDone != nil {
		if !isStopper {
			n.runCancel(errStopping)
		}
		if !abandoned {
			select {
			case <-n.runDone:
				err = errors.Join(err, n.runErr)
			case <-ctx.Done():
				err, abandoned = errors.Join(err, context.Cause(ctx)), true
			}
		}
		// The hard stop: whatever the soft stop did, Run's context ends now.
		cause := context.Cause(ctx)
		if cause == nil {
			cause = errStopping
		}
		n.runCancel(cause)
	}

	kind := EventStopped
	if abandoned {
		kind = EventAbandoned
	}
	acc, _ := r.accountOf(n, abandoned) // a panic or a blocked Account is reported by finish
	r.app.emit(Event{Kind: kind, Component: n.name, Duration: time.Since(begin), Err: err, Account: acc})
	n.repMu.Lock()
	defer n.repMu.Unlock()
	n.rep.Stop = time.Since(begin)
	switch {
	case abandoned:
		n.rep.State = StateAbandoned
	case n.rep.State == StateRunning:
		n.rep.State = StateStopped
	}
	if err != nil {
		n.rep.Err = errors.Join(n.rep.Err, wrap(n.name, "stop", err))
		n.rep.TimedOut = n.rep.TimedOut || errors.Is(err, ErrTimeout)
		n.noteStackLocked(err)
	}
	level := "grace: component stopped"
	if abandoned {
		level = "grace: component abandoned"
		r.app.log().Error(level, "component", n.name, "limit", limit, "after", n.rep.Stop, "error", err)
	} else if err != nil {
		r.app.log().Warn(level, "component", n.name, "after", n.rep.Stop, "error", err)
	} else {
		r.app.log().Debug(level, "component", n.name, "after", n.rep.Stop)
	}
}
