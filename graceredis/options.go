package graceredis

import (
	"fmt"
	"time"
)

// DefaultForceMargin is how long before its stop deadline a [Client] stops waiting for
// connections in use and closes the client.
const DefaultForceMargin = time.Second

// Option configures a [Client].
type Option interface {
	apply(*config)
}

type config struct {
	forceMargin time.Duration
	problems    []string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithForceMargin sets how long before the stop deadline the client stops waiting for
// connections in use and closes, cutting them. It is clamped to a tenth of the time left when
// Stop is called (grace.CutAt), so a command shorter than nine tenths of the stop limit
// finishes. Must be positive; default [DefaultForceMargin]. A bad value is a
// configuration error (see [Client.Validate]).
func WithForceMargin(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("force margin must be positive, got %v", d))
		}
		c.forceMargin = d
	})
}
