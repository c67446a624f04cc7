package gracepgx

import (
	"fmt"
	"time"
)

// DefaultForceMargin is how long before its stop deadline a [Pool] stops waiting for acquired
// connections and forces them closed.
const DefaultForceMargin = time.Second

// Option configures a [Pool].
type Option interface {
	apply(*config)
}

type config struct {
	forceMargin time.Duration
	problems    []string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithForceMargin sets how long before the stop deadline the pool forces still-acquired
// connections closed, leaving that long for their holders to release them and for the pool to
// finish closing. It is clamped to a tenth of the time left when Stop is called (grace.CutAt),
// so a transaction shorter than nine tenths of the stop limit finishes.
// Must be positive; default [DefaultForceMargin].
func WithForceMargin(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("force margin must be positive, got %v", d))
		}
		c.forceMargin = d
	})
}
