package gracepgx

import (
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

// Option configures a [Pool]. Only the With functions of this package make one.
type Option interface {
	apply(*config)
}

type config struct {
	cutMargin time.Duration
	option.Problems
}

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

func newConfig(opts []Option) config {
	c := config{cutMargin: grace.DefaultCutMargin}
	option.Each(opts, func(o Option) { o.apply(&c) })
	return c
}

// WithCutMargin sets how long before the stop deadline the pool forces still-acquired
// connections closed, leaving that long for their holders to release them and for the pool to
// finish closing. It is clamped to a tenth of the time left when Stop is called (grace.CutAt),
// so a transaction shorter than nine tenths of the stop limit finishes. Must be positive;
// default grace.DefaultCutMargin. A bad value is a configuration error ([Pool.Validate]).
func WithCutMargin(d time.Duration) Option {
	return optionFunc(func(c *config) { c.cutMargin = c.Positive("cut margin", d) })
}
