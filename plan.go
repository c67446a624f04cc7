package grace

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Plan is what [App.Run] would do, computed without running anything: the start and stop waves
// (components in one wave run in parallel), each component's limit, and the budgets.
type Plan struct {
	Budget          time.Duration `json:"budget_ns"`
	DrainDelay      time.Duration `json:"drain_delay_ns"`
	EscalatedBudget time.Duration `json:"escalated_budget_ns"`
	StartTimeout    time.Duration `json:"start_timeout_ns"`
	Start           [][]PlanStep  `json:"start"`
	Stop            [][]PlanStep  `json:"stop"`
	// WorstStop is the longest chain of explicit stop limits ([StopTimeout]) through the
	// dependency graph: how long the stopping phase could take if every component used its whole
	// limit. Components without a limit of their own count as zero here — the budget alone
	// bounds them — so the check warns only about limits that were set and cannot all be honoured.
	WorstStop time.Duration `json:"worst_stop_ns"`
}

// PlanStep is one component in a plan.
type PlanStep struct {
	Name       string        `json:"name"`
	DependsOn  []string      `json:"depends_on,omitempty"` // declared or implied by registration order
	Dependents []string      `json:"dependents,omitempty"` // stop before it
	Implied    bool          `json:"implied,omitempty"`    // true when DependsOn comes from the safe default
	Roles      []string      `json:"roles"`                // start, run, drain, quiet, stop
	StopLimit  time.Duration `json:"stop_limit_ns"`
}

// Plan validates the configuration like [App.Run] and returns the plan, or the [ConfigError].
// It starts nothing. It may be called before, during and after Run, from any goroutine: once Run
// was called, it returns the plan Run follows (validated when Run began) — or Run's
// [ConfigError], which also lists components added after Run was called.
func (a *App) Plan() (*Plan, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.initLocked()
	var cfg config
	var err error
	if a.ran {
		// Run owns the graph now: read what it configured, never relink it under its feet.
		cfg, err = a.cfg, a.cfgErr
		if len(a.late) > 0 {
			var problems []string
			var ce *ConfigError
			if errors.As(err, &ce) {
				problems = ce.Problems
			}
			err = &ConfigError{Problems: append(slices.Clone(problems), a.late...)}
		}
	} else {
		cfg, err = a.configureLocked()
	}
	if err != nil {
		return nil, err
	}
	p := &Plan{Budget: cfg.budget, DrainDelay: cfg.drainDelay, EscalatedBudget: cfg.escalatedBudget, StartTimeout: cfg.startTimeout}
	step := func(n *node) PlanStep {
		s := PlanStep{Name: n.name, Implied: !n.cfg.depsSet, StopLimit: n.stopLimit(cfg)}
		for _, d := range n.deps {
			s.DependsOn = append(s.DependsOn, d.name)
		}
		for _, d := range n.dependents {
			s.Dependents = append(s.Dependents, d.name)
		}
		for _, r := range []struct {
			ok   bool
			name string
		}{{isA[Starter](n.c), "start"}, {isA[Runner](n.c), "run"}, {isA[Drainer](n.c), "drain"}, {isA[Quieter](n.c), "quiet"}, {isA[Stopper](n.c), "stop"}} {
			if r.ok {
				s.Roles = append(s.Roles, r.name)
			}
		}
		return s
	}
	// Start wave = longest path from a component with no dependencies; stop wave = longest
	// path from a component nothing depends on. Nodes are visited in an order where
	// dependencies come first (a topological order; the graph is acyclic after validation).
	order := topoOrder(a.nodes)
	startLevel := make([]int, len(a.nodes))
	for _, n := range order {
		for _, d := range n.deps {
			startLevel[n.idx] = max(startLevel[n.idx], startLevel[d.idx]+1)
		}
	}
	stopLevel := make([]int, len(a.nodes))
	worst := make([]time.Duration, len(a.nodes))
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		for _, d := range n.dependents {
			stopLevel[n.idx] = max(stopLevel[n.idx], stopLevel[d.idx]+1)
			worst[n.idx] = max(worst[n.idx], worst[d.idx])
		}
		worst[n.idx] += n.cfg.stopTimeout // explicit limits only: without one, the budget bounds it
		p.WorstStop = max(p.WorstStop, worst[n.idx])
	}
	for _, n := range a.nodes {
		p.Start = addToWave(p.Start, startLevel[n.idx], step(n))
		p.Stop = addToWave(p.Stop, stopLevel[n.idx], step(n))
	}
	return p, nil
}

func isA[T any](c any) bool { _, ok := c.(T); return ok }

func addToWave(waves [][]PlanStep, level int, s PlanStep) [][]PlanStep {
	for len(waves) <= level {
		waves = append(waves, nil)
	}
	waves[level] = append(waves[level], s)
	return waves
}

func topoOrder(nodes []*node) []*node {
	seen := make(map[*node]bool, len(nodes))
	out := make([]*node, 0, len(nodes))
	var visit func(n *node)
	visit = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, d := range n.deps {
			visit(d)
		}
		out = append(out, n)
	}
	for _, n := range nodes {
		visit(n)
	}
	return out
}

// Check returns warnings for a termination grace period (Kubernetes'
// terminationGracePeriodSeconds minus any preStop time, or systemd's TimeoutStopSec): when the
// budget does not fit in it, and when the drain delay plus the worst chain of stop limits does
// not fit in the budget. No warnings means the plan fits.
func (p *Plan) Check(gracePeriod time.Duration) []string {
	var w []string
	if p.Budget > gracePeriod {
		w = append(w, fmt.Sprintf("budget %v exceeds the grace period %v: the process can be killed mid-stop", p.Budget, gracePeriod))
	}
	if p.Budget == gracePeriod {
		w = append(w, fmt.Sprintf("budget %v leaves no margin in the grace period %v to flush and exit", p.Budget, gracePeriod))
	}
	if need := p.DrainDelay + p.WorstStop; need > p.Budget {
		w = append(w, fmt.Sprintf("drain delay %v + longest chain of stop limits %v = %v exceeds the budget %v: the last components may be cut",
			p.DrainDelay, p.WorstStop, need, p.Budget))
	}
	return w
}

// String renders the plan as text: budgets, then the start and stop waves.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "budget %v (drain delay %v, escalated %v), start timeout %v, worst stop chain %v\n",
		p.Budget, p.DrainDelay, p.EscalatedBudget, p.StartTimeout, p.WorstStop)
	for _, part := range []struct {
		title string
		waves [][]PlanStep
	}{{"start", p.Start}, {"stop", p.Stop}} {
		fmt.Fprintf(&b, "%s:\n", part.title)
		tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
		for i, wave := range part.waves {
			for _, s := range wave {
				deps := strings.Join(s.DependsOn, ", ")
				if part.title == "stop" {
					deps = strings.Join(s.Dependents, ", ")
				}
				if s.Implied && deps != "" {
					deps += " (registration order)"
				}
				if deps == "" {
					deps = "-"
				}
				fmt.Fprintf(tw, "  wave %d\t%s\t%s\tlimit %v\tafter: %s\n", i+1, s.Name, strings.Join(s.Roles, "+"), s.StopLimit, deps)
			}
		}
		tw.Flush()
	}
	return b.String()
}
