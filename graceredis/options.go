package graceredis

import (
	"time"

	"github.com/gracekit/grace/internal/option"
)

// Option configures a [Client]. Only the With functions of this package make one.
type Option interface {
	apply(*option.Cut)
}

// WithCutMargin sets how long before the stop deadline the client stops waiting for
// connections in use and closes, cutting them. It is clamped to a tenth of the time left when
// Stop is called (grace.CutAt), so a command shorter than nine tenths of the stop limit
// finishes. Must be positive; default grace.DefaultCutMargin. A bad value is a configuration
// error ([Client.Validate]).
func WithCutMargin(d time.Duration) Option {
	return cutMargin(d)
}

// cutMargin is the option [WithCutMargin] makes.
type cutMargin time.Duration

func (d cutMargin) apply(c *option.Cut) { c.SetCutMargin(time.Duration(d)) }
