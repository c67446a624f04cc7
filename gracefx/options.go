package gracefx

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

// Option configures [Module].
type Option interface {
	apply(*config)
}

type config struct {
	hookOpts []grace.ComponentOption
	logger   *slog.Logger
}

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

func newConfig(opts []Option) config {
	c := config{logger: slog.Default()}
	option.Each(opts, func(o Option) { o.apply(&c) })
	return c
}

// WithStopTimeout limits each hook's OnStop to d (grace.StopTimeout on every hook's component).
// A hook whose OnStop overruns its limit is abandoned and named in the report, and the hooks
// after it still run. Without it each hook may use what is left of the app's budget. A limit
// above the budget is a configuration error, reported by the App's Run before anything starts.
func WithStopTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.hookOpts = append(c.hookOpts, grace.StopTimeout(d)) })
}

// WithStartTimeout limits each hook's OnStart to d (grace.StartTimeout on every hook's
// component). Without it, the App's start timeout bounds the whole start.
func WithStartTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.hookOpts = append(c.hookOpts, grace.StartTimeout(d)) })
}

// WithLogger sets where [Module] logs a hook appended too late for the App to run it. The
// default is slog.Default(); nil keeps it.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = cmp.Or(l, c.logger) })
}
