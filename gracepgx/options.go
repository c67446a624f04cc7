package gracepgx

import (
	"time"

	"github.com/gracekit/grace/internal/option"
)

// Option configures a [Pool]. Only the With functions of this package make one.
type Option interface {
	apply(*option.Cut)
}

// WithCutMargin sets how long before the stop deadline the pool forces still-acquired
// connections closed, leaving that long for their holders to release them and for the pool to
// finish closing. It is clamped to a tenth of the time left when Stop is called (grace.CutAt),
// so a transaction shorter than nine tenths of the stop limit finishes. Must be positive;
// default grace.DefaultCutMargin. A bad value is a configuration error ([Pool.Validate]).
func WithCutMargin(d time.Duration) Option {
	return cutMargin(d)
}

// cutMargin is the option [WithCutMargin] makes.
type cutMargin time.Duration

func (d cutMargin) apply(c *option.Cut) { c.SetCutMargin(time.Duration(d)) }
