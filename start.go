package grace

import (
	"context"
	"errors"
	"time"
)

// causeStartsInFlight is the TimeoutError cause of a start that outlived half the budget after a
// stop was requested during the start.
const causeStartsInFlight = "half the budget, for starts in flight at the stop"

// errStopRequested is the cause given to start contexts when a stop comes during the start.
var errStopRequested = errors.New("stop requested during start")

// startAll starts every component once its dependencies have started, independent ones in
// parallel. It stops launching at the first failure or trigger, waits for the starts in flight
// (each bounded by its limit), and returns the start failures joined.
func (r *run) startAll() error {
	a := r.app
	outer, cancelOuter := context.WithCancelCause(context.Background())
	defer cancelOuter(nil)
	all, cancelAll := context.WithTimeoutCause(outer, r.cfg.startTimeout,
		&TimeoutError{Limit: r.cfg.startTimeout, Cause: "start timeout"})
	defer cancelAll()
	// calls is what Start sees: also cancelled when a stop is requested, so a slow start can
	// return early. A start that honours its ctx is waited for and, if it succeeded after all,
	// rolled back; one that does not is waited for no longer than the stop budget allows.
	calls, cancelCalls := context.WithCancelCause(all)
	defer cancelCalls(nil)
	watched := make(chan struct{})
	r.spawn(func() {
		defer close(watched)
		select {
		case <-a.trigCh:
			cancelCalls(errStopRequested)
		case <-calls.Done():
			return
		}
		// Half of the budget for the starts in flight; the other half is the rollback's.
		left := time.Until(a.triggered().At.Add(r.cfg.budget / 2))
		t := time.NewTimer(left)
		defer t.Stop()
		select {
		case <-t.C:
			cancelOuter(&TimeoutError{Limit: r.cfg.budget / 2, Cause: causeStartsInFlight})
		case <-outer.Done():
		}
	})
	defer func() { cancelOuter(nil); <-watched }()

	type result struct {
		n   *node
		err error
	}
	results := make(chan result, len(r.nodes))
	pending := make([]int, len(r.nodes))
	inFlight := 0
	launch := func(n *node) {
		inFlight++
		r.spawn(func() { results <- result{n, r.startOne(all, calls, n)} })
	}
	for _, n := range r.nodes {
		pending[n.idx] = len(n.deps)
		if pending[n.idx] == 0 {
			launch(n)
		}
	}
	var errs []error
	for inFlight > 0 {
		res := <-results
		inFlight--
		if res.err != nil {
			errs = append(errs, res.err)
			continue
		}
		if len(errs) > 0 || a.triggered() != nil {
			continue
		}
		for _, d := range res.n.dependents {
			pending[d.idx]--
			if pending[d.idx] == 0 {
				launch(d)
			}
		}
	}
	if len(errs) > 0 {
		r.startFailed = true
	}
	return errors.Join(errs...)
}

// startOne starts one component: calls Start (if any), then launches Run (if any). It returns
// the component's start failure, or nil — also when the start was cancelled by a stop request,
// which is not the component's failure.
func (r *run) startOne(all, calls context.Context, n *node) error {
	a := r.app
	begin := time.Now()
	var err error
	if s, ok := n.c.(Starter); ok {
		limit := n.startLimit(r.cfg)
		wait, cancelWait := context.WithTimeoutCause(all, limit, &TimeoutError{Limit: limit, Cause: "component start limit"})
		defer cancelWait()
		call, cancelCall := context.WithCancelCause(wait)
		defer cancelCall(nil)
		stopCall := context.AfterFunc(calls, func() { cancelCall(context.Cause(calls)) })
		defer stopCall()
		err, _ = r.invoke(wait, n, "start", func(context.Context) error { return s.Start(call) })
	}
	n.repMu.Lock()
	n.rep.StartAt = begin
	n.rep.Start = time.Since(begin)
	n.repMu.Unlock()
	a.emit(Event{Kind: EventStarted, Component: n.name, Duration: time.Since(begin), Err: err})

	if err != nil {
		if errors.Is(context.Cause(calls), errStopRequested) && (errors.Is(err, context.Canceled) || errors.Is(err, errStopRequested)) {
			n.setState(StateNotStarted, nil)
			return nil
		}
		var te *TimeoutError
		if errors.Is(context.Cause(calls), errStopRequested) && errors.As(err, &te) && te.Cause == causeStartsInFlight {
			// A start that ignored the stop request: abandoned, a failed stop rather than a
			// failed start.
			n.repMu.Lock()
			n.rep.State, n.rep.TimedOut = StateAbandoned, true
			n.rep.Err = wrap(n.name, "start", err)
			n.repMu.Unlock()
			return nil
		}
		n.repMu.Lock()
		n.rep.State = StateFailed
		n.rep.Err = wrap(n.name, "start", err)
		n.rep.TimedOut = errors.Is(err, ErrTimeout)
		n.noteStackLocked(err)
		n.repMu.Unlock()
		werr := wrap(n.name, "start", err)
		if a.trigger(Trigger{Kind: TriggerFailure, Component: n.name, Reason: err.Error()}) {
			a.log().Error("grace: start failed, rolling back", "component", n.name, "error", err)
		}
		return werr
	}
	n.repMu.Lock()
	n.started = true
	n.rep.State = StateRunning
	n.repMu.Unlock()
	if _, ok := n.c.(Runner); ok {
		r.launchRun(n)
	}
	return nil
}

func (n *node) setState(state string, err error) {
	n.repMu.Lock()
	defer n.repMu.Unlock()
	n.rep.State = state
	if err != nil {
		n.rep.Err = errors.Join(n.rep.Err, err)
	}
}
