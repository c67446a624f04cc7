package grace

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"
)

// Defaults. DefaultBudget fits Kubernetes' default 30 s termination grace period with room for
// the process to flush and exit.
const (
	DefaultBudget          = 25 * time.Second
	DefaultStartTimeout    = 30 * time.Second
	DefaultEscalatedBudget = 3 * time.Second
	DefaultDrainDelay      = 0
)

// Option configures an [App]. Options are values; each has a String for logs and plans.
type Option interface {
	apply(*config)
	String() string
}

// ComponentOption configures one component in [App.Add].
type ComponentOption interface {
	applyComponent(*componentConfig)
	String() string
}

type config struct {
	budget          time.Duration
	escalatedBudget time.Duration
	drainDelay      time.Duration
	startTimeout    time.Duration
	signals         []os.Signal
	signalsSet      bool
	signalSource    SignalSource
	logger          *slog.Logger
	exit            func(int)
	observers       []func(Event)
	problems        []string
}

type componentConfig struct {
	deps            []string
	depsSet         bool
	independent     bool
	stopsLast       bool
	stopTimeout     time.Duration
	stopTimeoutSet  bool
	startTimeout    time.Duration
	startTimeoutSet bool
	restart         *restartPolicy
}

type restartPolicy struct{ min, max time.Duration }

type option struct {
	name string
	f    func(*config)
}

func (o option) apply(c *config) { o.f(c) }
func (o option) String() string  { return o.name }

type componentOption struct {
	name string
	f    func(*componentConfig)
}

func (o componentOption) applyComponent(c *componentConfig) { o.f(c) }
func (o componentOption) String() string                    { return o.name }

// durationOption is an option that sets one duration of the config (field) and checks it: it
// must be positive, or, with zeroOK, not negative. name is the option's, what the value's name
// in the problem ("budget must be positive, got 0s").
func durationOption(name, what string, d time.Duration, zeroOK bool, field func(*config) *time.Duration) Option {
	return option{fmt.Sprintf("%s(%v)", name, d), func(c *config) {
		switch {
		case zeroOK && d < 0:
			c.problems = append(c.problems, fmt.Sprintf("%s must not be negative, got %v", what, d))
		case !zeroOK && d <= 0:
			c.problems = append(c.problems, errNonPositive(what, d).Error())
		}
		*field(c) = d
	}}
}

// WithBudget sets the whole stop's budget, counted from the trigger (a signal, [App.Stop], a
// failure) and including the drain delay. Past it every component still stopping is abandoned
// and Run returns with [ExitStopFailed]. Must be positive; default [DefaultBudget].
func WithBudget(d time.Duration) Option {
	return durationOption("WithBudget", "budget", d, false, func(c *config) *time.Duration { return &c.budget })
}

// WithDrainDelay sets how long the app stays in PhaseDraining — not ready, still serving — before
// anything stops, so load balancers can take the instance out. It ends early when every
// [Quieter] is quiet, or on a second signal. Zero (the default) means no delay; negative is an error.
func WithDrainDelay(d time.Duration) Option {
	return durationOption("WithDrainDelay", "drain delay", d, true, func(c *config) *time.Duration { return &c.drainDelay })
}

// WithEscalatedBudget sets what is left of the budget after a second signal, if less was left
// already nothing changes. Must be positive; default [DefaultEscalatedBudget].
func WithEscalatedBudget(d time.Duration) Option {
	return durationOption("WithEscalatedBudget", "escalated budget", d, false, func(c *config) *time.Duration { return &c.escalatedBudget })
}

// WithStartTimeout bounds the whole start. A start that overruns is rolled back. Must be
// positive; default [DefaultStartTimeout].
func WithStartTimeout(d time.Duration) Option {
	return durationOption("WithStartTimeout", "start timeout", d, false, func(c *config) *time.Duration { return &c.startTimeout })
}

// WithSignals sets the signals that stop the app. The default is SIGTERM and SIGINT (os.Interrupt
// only, on Windows). With no arguments the app ignores signals and stops only on [App.Stop], a
// failure, or Run's context.
func WithSignals(sigs ...os.Signal) Option {
	return option{fmt.Sprintf("WithSignals(%v)", sigs), func(c *config) {
		c.signals = slices.Clone(sigs)
		c.signalsSet = true
	}}
}

// WithSignalSource replaces os/signal, for tests (see gracetest.Signals).
func WithSignalSource(s SignalSource) Option {
	return option{"WithSignalSource", func(c *config) {
		if s == nil {
			c.problems = append(c.problems, "signal source must not be nil")
		}
		c.signalSource = s
	}}
}

// WithLogger sets where phases, escalations, slow components and the report are logged. The
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return option{"WithLogger", func(c *config) { c.logger = l }}
}

// WithExit replaces os.Exit in [App.Main], for tests.
func WithExit(exit func(code int)) Option {
	return option{"WithExit", func(c *config) { c.exit = exit }}
}

// DependsOn declares the components, by name, that this one uses: it starts after them and stops
// before them. Declaring dependencies (even none) replaces the safe default, under which a
// component depends on every component added before it.
func DependsOn(names ...string) ComponentOption {
	return componentOption{fmt.Sprintf("DependsOn(%q)", names), func(c *componentConfig) {
		c.deps = append(c.deps, names...)
		c.depsSet = true
	}}
}

// Independent declares that the component uses no other component, so it starts and stops in
// parallel with everything else.
func Independent() ComponentOption {
	return componentOption{"Independent()", func(c *componentConfig) {
		c.independent = true
		c.depsSet = true
	}}
}

// StopsLast makes a component a foundation: every other component depends on it (besides what
// they declare), so it starts first and stops after everything else — the place for
// telemetry providers and loggers, which must record the stop itself. Several foundations are
// independent of one another.
func StopsLast() ComponentOption {
	return componentOption{"StopsLast()", func(c *componentConfig) { c.stopsLast = true }}
}

// StopTimeout limits the component's stop (and its Drain) within the app's budget. A limit above
// the budget is a configuration error. The default is the whole budget.
func StopTimeout(d time.Duration) ComponentOption {
	return componentOption{fmt.Sprintf("StopTimeout(%v)", d), func(c *componentConfig) { c.stopTimeout, c.stopTimeoutSet = d, true }}
}

// StartTimeout limits the component's Start. The default is the app's start timeout.
func StartTimeout(d time.Duration) ComponentOption {
	return componentOption{fmt.Sprintf("StartTimeout(%v)", d), func(c *componentConfig) { c.startTimeout, c.startTimeoutSet = d, true }}
}

// RestartOnPanic makes a [Runner] that panics start again after a backoff that begins at min and
// doubles up to max, instead of stopping the app. Each panic is logged with its stack and counted
// in the report. Errors returned by Run still stop the app.
func RestartOnPanic(min, max time.Duration) ComponentOption {
	return componentOption{fmt.Sprintf("RestartOnPanic(%v, %v)", min, max), func(c *componentConfig) {
		c.restart = &restartPolicy{min: min, max: max}
	}}
}
