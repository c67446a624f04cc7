package grace

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// configure applies the options, fills defaults and validates everything; it links the nodes'
// dependencies. Every problem is collected, so one run of the program shows them all.
func (a *App) configureLocked() (config, error) {
	cfg := config{budget: DefaultBudget, escalatedBudget: DefaultEscalatedBudget,
		drainDelay: DefaultDrainDelay, startTimeout: DefaultStartTimeout}
	for _, o := range a.opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if !cfg.signalsSet {
		cfg.signals = defaultSignals()
	}
	if cfg.signalSource == nil {
		cfg.signalSource = osSignals{}
	}
	a.logger = cfg.logger
	problems := append(slices.Clone(a.problems), cfg.problems...)
	if cfg.budget > 0 && cfg.drainDelay >= cfg.budget {
		problems = append(problems, fmt.Sprintf("drain delay %v leaves nothing of the budget %v", cfg.drainDelay, cfg.budget))
	}

	a.byName = make(map[string]*node, len(a.nodes))
	for _, n := range a.nodes {
		switch {
		case n.name == "":
			problems = append(problems, fmt.Sprintf("component #%d has no name", n.idx+1))
		case a.byName[n.name] != nil:
			problems = append(problems, "duplicate component name "+quote(n.name))
		default:
			a.byName[n.name] = n
		}
		problems = append(problems, n.validate(cfg)...)
		if o, ok := n.c.(Observer); ok {
			cfg.observers = append(cfg.observers, o.Observe)
		}
	}
	// Dependencies. Safe default: a component with no declaration depends on everything added
	// before it. "frontier" holds the earlier nodes not already reachable through another
	// dependency, so the implied edges stay few (a chain, not a clique).
	var frontier []*node
	for _, n := range a.nodes {
		n.deps, n.dependents = nil, nil
	}
	for _, n := range a.nodes {
		if !n.cfg.depsSet && n.cfg.stopsLast {
			continue // a foundation uses only what it declares; everything else uses it
		}
		if !n.cfg.depsSet {
			n.deps = slices.Clone(frontier)
			frontier = append(frontier[:0], n)
			continue
		}
		for _, d := range n.cfg.deps {
			dep := a.byName[d]
			switch {
			case dep == nil:
				problems = append(problems, fmt.Sprintf("component %s depends on unknown component %s", quote(n.name), quote(d)))
			case dep == n:
				problems = append(problems, fmt.Sprintf("component %s depends on itself", quote(n.name)))
			case !slices.Contains(n.deps, dep):
				n.deps = append(n.deps, dep)
			}
		}
		frontier = append(frontier, n)
	}
	var foundations []*node
	for _, n := range a.nodes {
		if n.cfg.stopsLast {
			foundations = append(foundations, n)
		}
	}
	for _, n := range a.nodes {
		if n.cfg.stopsLast {
			continue
		}
		for _, f := range foundations {
			if !slices.Contains(n.deps, f) {
				n.deps = append(n.deps, f)
			}
		}
	}
	for _, n := range a.nodes {
		for _, d := range n.deps {
			d.dependents = append(d.dependents, n)
		}
	}
	if c := findCycle(a.nodes); c != nil {
		problems = append(problems, "dependency cycle: "+strings.Join(c, " -> "))
	}
	if len(problems) > 0 {
		return cfg, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

func (n *node) validate(cfg config) []string {
	var p []string
	what := "component " + quote(n.name)
	switch n.c.(type) {
	case nil:
		return append(p, what+" is nil")
	case Starter, Stopper, Runner, Drainer, Quieter, Observer:
	default:
		p = append(p, fmt.Sprintf("%s (%T) implements none of Starter, Stopper, Runner, Drainer, Quieter, Observer", what, n.c))
	}
	if v, ok := n.c.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			p = append(p, what+": "+err.Error())
		}
	}
	if v, ok := n.c.(Validator); ok {
		p = append(p, problemsOf(what, v.Validate())...)
	}
	c := n.cfg
	if c.stopTimeout < 0 || (c.stopTimeout == 0 && c.stopTimeoutSet) {
		p = append(p, fmt.Sprintf("%s: stop timeout must be positive, got %v", what, c.stopTimeout))
	} else if cfg.budget > 0 && c.stopTimeout > cfg.budget {
		p = append(p, fmt.Sprintf("%s: stop timeout %v is above the budget %v", what, c.stopTimeout, cfg.budget))
	}
	if c.startTimeout < 0 || (c.startTimeout == 0 && c.startTimeoutSet) {
		p = append(p, fmt.Sprintf("%s: start timeout must be positive, got %v", what, c.startTimeout))
	}
	if r := c.restart; r != nil {
		if _, ok := n.c.(Runner); !ok {
			p = append(p, what+": RestartOnPanic needs a Runner")
		}
		if r.min <= 0 || r.max < r.min {
			p = append(p, fmt.Sprintf("%s: restart backoff needs 0 < min <= max, got min %v max %v", what, r.min, r.max))
		}
	}
	return p
}

// findCycle returns one dependency cycle as names, first name repeated at the end, or nil.
func findCycle(nodes []*node) []string {
	const (
		white = iota
		grey
		black
	)
	color := make(map[*node]int, len(nodes))
	var stack []*node
	var found []string
	var visit func(n *node) bool
	visit = func(n *node) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range n.deps {
			switch color[d] {
			case grey:
				i := slices.Index(stack, d)
				for _, s := range stack[i:] {
					found = append(found, s.name)
				}
				found = append(found, d.name)
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range nodes {
		if color[n] == white && visit(n) {
			return found
		}
	}
	return nil
}

func (n *node) stopLimit(cfg config) time.Duration {
	if n.cfg.stopTimeout > 0 {
		return n.cfg.stopTimeout
	}
	return cfg.budget
}

func (n *node) startLimit(cfg config) time.Duration {
	if n.cfg.startTimeout > 0 {
		return n.cfg.startTimeout
	}
	return cfg.startTimeout
}

// problemsOf lists err's problems, each prefixed with what: one per problem of a [ConfigError]
// (so a component's problems read like the app's own), otherwise err's text.
func problemsOf(what string, err error) []string {
	if err == nil {
		return nil
	}
	var ce *ConfigError
	if errors.As(err, &ce) && len(ce.Problems) > 0 {
		p := make([]string, len(ce.Problems))
		for i, s := range ce.Problems {
			p[i] = what + ": " + s
		}
		return p
	}
	return []string{what + ": " + err.Error()}
}
