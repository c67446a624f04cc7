package grace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Run starts the components, waits for a reason to stop, then drains and stops them, and returns
// the report. It blocks until the stop is done, the budget has run out (components still
// stopping are abandoned), or a third signal forced the end. The error is nil for a clean run;
// otherwise it joins every component's error ([ComponentError], matching [ErrTimeout],
// [ErrPanic] and the components' own errors) or is a [ConfigError]. The report is never nil.
//
// The steps, in order:
//
//  1. Validate the configuration; on any problem, return a [ConfigError] with all of them.
//  2. Listen for signals (restored when Run returns). A stop requested from here on is never lost.
//  3. Start components in dependency order, independent ones in parallel. If a start fails,
//     times out or panics, or a stop is requested meanwhile, roll back: stop what started, in
//     reverse dependency order, under the stop budget, and return. After a stop request, starts
//     in flight (their ctx cancelled) are waited for at most half the budget, then abandoned.
//  4. [PhaseReady]: wait for a signal, [App.Stop], a worker's failure, or the end of ctx.
//  5. [PhaseDraining]: call every [Drainer]; wait out the drain delay (ended early when every
//     [Quieter] is quiet, or by a second signal).
//  6. [PhaseStopping]: stop each component once everything that depends on it has stopped or
//     was abandoned; independent components stop in parallel. A component is abandoned at its
//     limit, and its dependencies still stop, so closers of infrastructure always run.
//  7. [PhaseStopped]: build the report: the trigger, phases, each component's times, errors,
//     hung goroutines and goroutines left behind, and the exit code.
//
// A second signal skips what is left of the delay and cuts the budget to the escalated budget; a
// third makes Run return at once with [ExitForced], dumping the engine's goroutines into the
// report. Run may be called once; later calls return [ErrAlreadyRun].
func (a *App) Run(ctx context.Context) (*Report, error) {
	rep, restore, err := a.execute(ctx)
	restore()
	return rep, err
}

// execute is Run, but leaves the signals caught when it returns: restore gives their handling
// back. [App.Main] restores them only if its exit function returns, so the process exits with
// the report's code without paying for the restore (os/signal's Stop waits for the signal loop).
func (a *App) execute(ctx context.Context) (rep *Report, restore func(), err error) {
	restore = func() {}
	a.mu.Lock()
	a.initLocked()
	if a.ran {
		a.mu.Unlock()
		return &Report{ExitCode: ExitStartFailed, Err: ErrAlreadyRun, Error: ErrAlreadyRun.Error()}, restore, ErrAlreadyRun
	}
	a.ran = true
	cfg, cerr := a.configureLocked()
	a.cfg, a.cfgErr = cfg, cerr
	nodes := a.nodes
	a.mu.Unlock()

	r := &run{app: a, cfg: cfg, nodes: nodes, id: fmt.Sprintf("%p", a)}
	if cerr != nil {
		a.log().Error("grace: invalid configuration", "error", cerr)
		a.setPhase(PhaseStopped)
		rep, err = r.finish(cerr)
		return rep, restore, err
	}

	sigs := make(chan os.Signal, 3) // one slot per step of the signal ladder
	if len(cfg.signals) > 0 {
		cfg.signalSource.Notify(sigs, cfg.signals...)
		restore = func() { cfg.signalSource.Stop(sigs) }
	}
	quit := make(chan struct{})
	var watchers sync.WaitGroup
	watchers.Go(func() { a.watchSignals(sigs, quit) })
	defer func() { close(quit); watchers.Wait() }()
	stopCtxWatch := context.AfterFunc(ctx, func() {
		a.trigger(Trigger{Kind: TriggerContext, Reason: context.Cause(ctx).Error()})
	})
	defer stopCtxWatch()

	r.created0, r.counted = goroutinesCreated()
	a.setPhase(PhaseStarting)
	startErr := r.startAll()
	if startErr == nil && a.triggered() == nil {
		r.readyAt = time.Now()
		a.setPhase(PhaseReady)
		a.log().Info("grace: ready", "components", len(nodes))
		<-a.trigCh
	}
	r.beginStop()
	defer r.endStop()
	if startErr == nil && !r.stoppedDuringStart() {
		r.drain()
	}
	a.setPhase(PhaseStopping)
	r.stopAll()
	a.setPhase(PhaseStopped)
	rep, err = r.finish(startErr)
	return rep, restore, err
}

// run is the state of one Run.
type run struct {
	app   *App
	id    string // labels this run's goroutines
	cfg   config
	nodes []*node

	readyAt      time.Time
	startFailed  bool
	budget       context.Context
	cancelBudget context.CancelCauseFunc
	budgetDone   chan struct{}
	forced       bool
	delayEnded   string
	delay        time.Duration
	failMu       sync.Mutex
	failures     []error

	// created0 is the runtime's count of goroutines created, read before the first start
	// (counted: the runtime offers it), and spawned counts the goroutines the engine itself
	// started since; see othersStarted.
	created0 uint64
	counted  bool
	spawned  atomic.Int64
}

// spawn runs f in a goroutine of the engine's own, counted in spawned.
func (r *run) spawn(f func()) {
	r.spawned.Add(1)
	go f()
}

func (r *run) stoppedDuringStart() bool { return r.readyAt.IsZero() }

// beginStop starts the budget clock at the trigger and watches for escalation.
func (r *run) beginStop() {
	a := r.app
	t := a.triggered()
	deadline := t.At.Add(r.cfg.budget)
	outer, cancel := context.WithCancelCause(context.Background())
	budget, cancelDeadline := context.WithDeadlineCause(outer, deadline, &TimeoutError{Limit: r.cfg.budget, Cause: "budget"})
	r.budget = budget
	r.cancelBudget = func(cause error) { cancel(cause); cancelDeadline() }
	r.budgetDone = make(chan struct{})
	r.spawn(func() {
		defer close(r.budgetDone)
		esc := a.escCh
		var cut *time.Timer
		defer func() {
			if cut != nil {
				cut.Stop()
			}
		}()
		for {
			select {
			case <-esc:
				esc = nil
				if left := time.Until(deadline); left > r.cfg.escalatedBudget {
					limit := time.Since(t.At) + r.cfg.escalatedBudget
					cut = time.AfterFunc(r.cfg.escalatedBudget, func() {
						r.cancelBudget(&TimeoutError{Limit: limit, Cause: "escalated budget"})
					})
				}
			case <-a.forceCh:
				r.cancelBudget(ErrForced)
				return
			case <-r.budget.Done():
				return
			}
		}
	})
}

func (r *run) endStop() {
	r.cancelBudget(context.Canceled)
	<-r.budgetDone
}

func (r *run) fail(err error) {
	r.failMu.Lock()
	r.failures = append(r.failures, err)
	r.failMu.Unlock()
}

// drain runs the Drainers and the drain delay (steps 5 of Run).
func (r *run) drain() {
	a := r.app
	a.setPhase(PhaseDraining)
	begin := time.Now()
	var drains sync.WaitGroup
	var quiet []<-chan struct{}
	for _, n := range r.nodes {
		if !n.isStarted() {
			continue
		}
		if d, ok := n.c.(Drainer); ok && n.nothingToCall("drain") {
			a.emit(Event{Kind: EventDrained, Component: n.name})
		} else if ok {
			r.spawned.Add(1)
			drains.Go(func() {
				ctx, cancel := context.WithTimeoutCause(r.budget, n.stopLimit(r.cfg),
					&TimeoutError{Limit: n.stopLimit(r.cfg), Cause: "component limit"})
				defer cancel()
				begin := time.Now()
				err, _ := r.invoke(ctx, n, "drain", d.Drain)
				if err != nil {
					n.addErr(wrap(n.name, "drain", err))
					a.log().Warn("grace: drain hook failed", "component", n.name, "error", err)
				}
				a.emit(Event{Kind: EventDrained, Component: n.name, Duration: time.Since(begin), Err: err})
			})
		}
		if q, ok := n.c.(Quieter); ok {
			if ch := q.Quiet(); ch != nil {
				quiet = append(quiet, ch)
			}
		}
	}
	r.delayEnded = "none"
	if d := r.cfg.drainDelay; d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		allQuiet := make(chan struct{})
		abort := make(chan struct{})
		var waiter sync.WaitGroup
		if len(quiet) > 0 {
			r.spawned.Add(1)
			waiter.Go(func() {
				for _, q := range quiet {
					select {
					case <-q:
					case <-abort:
						return
					}
				}
				close(allQuiet)
			})
		}
		select {
		case <-timer.C:
			r.delayEnded = "elapsed"
		case <-allQuiet:
			r.delayEnded = "quiet"
		case <-a.escCh:
			r.delayEnded = "signal"
		case <-r.budget.Done():
			r.delayEnded = "budget"
		}
		close(abort)
		waiter.Wait()
		r.delay = time.Since(begin)
		a.log().Info("grace: drain delay over", "ended_by", r.delayEnded, "after", r.delay)
	}
	a.setPhase(PhaseDelayOver)
	drains.Wait() // each drain is bounded by its limit
}

func (n *node) isStarted() bool {
	n.repMu.Lock()
	defer n.repMu.Unlock()
	return n.started
}

func (n *node) addErr(err error) {
	n.repMu.Lock()
	defer n.repMu.Unlock()
	n.rep.Err = errors.Join(n.rep.Err, err)
	n.noteStackLocked(err)
}
