package grace

import (
	"errors"
	"time"
)

// leftBehindWait is how long the report waits for goroutines of stopped components to end before
// counting them as left behind: a Close may return a moment before its goroutines do.
const leftBehindWait = 100 * time.Millisecond

// finish builds the report (step 7 of Run).
func (r *run) finish(startErr error) (*Report, error) {
	a := r.app
	rep := &Report{DrainDelay: r.cfg.drainDelay, DelayEndedBy: r.delayEnded, Delay: r.delay}
	if t := a.triggered(); t != nil {
		rep.Trigger = *t
		rep.StopDuration = time.Since(t.At)
	}
	a.mu.Lock()
	for p := PhaseStarting; p < numPhases; p++ {
		if !a.phaseAt[p].IsZero() {
			rep.Phases = append(rep.Phases, PhaseTime{Phase: p, At: a.phaseAt[p]})
		}
	}
	a.mu.Unlock()

	select {
	case <-a.forceCh:
		r.forced = true
	default:
	}
	var cfgErr *ConfigError
	errs := []error{}
	if errors.As(startErr, &cfgErr) {
		errs = append(errs, startErr)
	}
	abandoned, stopped := map[string]bool{}, map[string]bool{}
	stopFailed, lost := false, false
	for _, n := range r.nodes {
		n.repMu.Lock()
		c := n.rep
		n.repMu.Unlock()
		c.Name = n.name
		if c.State == "" {
			c.State = StateNotStarted
		}
		if c.State != StateNotStarted {
			acc, aerr := r.accountOf(n, c.State == StateAbandoned || r.forced)
			c.Account = acc
			if aerr != nil {
				c.Err = errors.Join(c.Err, wrap(n.name, "account", aerr))
			}
			if acc.Lost > 0 {
				c.Err = errors.Join(c.Err, wrap(n.name, "stop", &LossError{Account: acc}))
				lost = true
			}
			rep.Lost += acc.Lost
			rep.HandedBack += acc.HandedBack
		}
		if c.State == StateRunning && r.forced {
			abandoned[n.name] = true
		}
		if c.Err != nil {
			c.Error = c.Err.Error()
			errs = append(errs, c.Err)
			if c.State != StateFailed && !onlyLoss(c.Err) {
				stopFailed = true
			}
		}
		switch c.State {
		case StateAbandoned:
			abandoned[n.name] = true
			stopFailed = true
		case StateStopped, StateDone:
			stopped[n.name] = true
		}
		rep.Components = append(rep.Components, c)
	}
	budgetOut := r.budget != nil && r.budget.Err() != nil // endStop has not run yet

	// Forensics: stacks of abandoned components, goroutines left behind by stopped ones, and on a
	// forced end or an exhausted budget, every labelled goroutine. The goroutine profile costs
	// a stop of the world and more than the rest of an idle exit: it is taken only when there can
	// be something to find.
	if len(r.nodes) > 0 && cfgErr == nil &&
		(r.forced || budgetOut || len(abandoned) > 0 || len(stopped) > 0 && r.othersStarted()) {
		groups := labelledGoroutines(r.id)
		// Goroutines usually end within microseconds of the stop that ended them: look again
		// soon, then less often — with a new profile only if a goroutine ended or began since
		// the last look (the counts are cheap; a profile stops the world), and once more at the
		// end if the last one is older than the last pause.
		pause := 20 * time.Microsecond
		stale := false
		for deadline := time.Now().Add(leftBehindWait); time.Now().Before(deadline) && hasAny(groups, stopped); pause = min(2*pause, 5*time.Millisecond) {
			before := goroutineCounts()
			time.Sleep(min(pause, time.Until(deadline)))
			if now := goroutineCounts(); now.ok && now == before {
				stale = true
				continue
			}
			groups, stale = labelledGoroutines(r.id), false
		}
		if stale {
			groups = labelledGoroutines(r.id)
		}
		for i := range rep.Components {
			c := &rep.Components[i]
			var mine []goroutineGroup
			for _, g := range groups {
				if g.component == c.Name {
					mine = append(mine, g)
				}
			}
			switch {
			case abandoned[c.Name]:
				c.Goroutines = renderGroups(mine)
				if c.Goroutines != "" {
					a.log().Error("grace: where the abandoned component hangs", "component", c.Name, "goroutines", c.Goroutines)
				}
			case stopped[c.Name] && len(mine) > 0:
				for _, g := range mine {
					c.LeftBehind += g.count
				}
				c.LeftBehindStacks = renderGroups(mine)
				a.log().Warn("grace: goroutines left behind after stop", "component", c.Name, "count", c.LeftBehind)
			}
		}
		if r.forced || budgetOut {
			rep.Forensics = renderGroups(groups)
		}
	}

	switch {
	case r.forced:
		rep.ExitCode = ExitForced
		errs = append(errs, ErrForced)
	case cfgErr != nil || r.startFailed:
		rep.ExitCode = ExitStartFailed
	case rep.Trigger.Kind == TriggerFailure:
		rep.ExitCode = ExitCrashed
	case lost:
		rep.ExitCode = ExitLost
	case stopFailed || budgetOut || len(errs) > 0:
		// len(errs): a worker that failed after the stop began is a failed stop too.
		rep.ExitCode = ExitStopFailed
	default:
		rep.ExitCode = ExitClean
	}
	rep.Err = errors.Join(errs...)
	if rep.Err != nil {
		rep.Error = rep.Err.Error()
	}
	return rep, rep.Err
}

// onlyLoss reports whether err says nothing but that work was lost: such a stop is not a failed
// stop, its exit code is [ExitLost].
func onlyLoss(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyLoss(e) {
				return false
			}
		}
		return true
	}
	var le *LossError
	return errors.As(err, &le)
}

func hasAny(groups []goroutineGroup, names map[string]bool) bool {
	for _, g := range groups {
		if names[g.component] {
			return true
		}
	}
	return false
}
