package gracefx

import (
	"log/slog"
	"time"

	"github.com/gracekit/grace"
)

// Option configures [Module].
type Option interface {
	apply(*config)
}

type config struct {
	hookOpts []grace.ComponentOption
	logger   *slog.Logger
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithStopTimeout limits each hook's OnStop to d (grace.StopTimeout on every hook's component).
// A hook whose OnStop overruns its limit is abandoned and named in the report, and the hooks
// after it still run. Without it each hook may use what is left of the app's budget. A limit
// above the budget is a configuration error, reported by the App's Run before anything starts.
func WithStopTimeout(d time.Duration) Option {
	return option(func(c *config) { c.hookOpts = append(c.hookOpts, grace.StopTimeout(d)) })
}

// WithStartTimeout limits each hook's OnStart to d (grace.StartTimeout on every hook's
// component). Without it, the App's start timeout bounds the whole start.
func WithStartTimeout(d time.Duration) Option {
	return option(func(c *config) { c.hookOpts = append(c.hookOpts, grace.StartTimeout(d)) })
}

// WithLogger sets where [Module] logs a hook appended too late for the App to run it. The
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return option(func(c *config) { c.logger = l })
}
