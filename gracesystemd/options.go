package gracesystemd

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults.
const (
	// DefaultStopTimeout is systemd's own default for TimeoutStopSec (DefaultTimeoutStopSec).
	DefaultStopTimeout = 90 * time.Second
	// DefaultExtendTimeout is the EXTEND_TIMEOUT_USEC sent while a stop outlasts the stop timeout.
	DefaultExtendTimeout = 10 * time.Second
)

// Option configures a [Notifier].
type Option interface {
	apply(*config)
}

type config struct {
	stopTimeout   time.Duration
	extendTimeout time.Duration
	logger        *slog.Logger
	problems      []string
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

// WithStopTimeout tells the Notifier the unit's TimeoutStopSec, which systemd does not pass to
// the service. When a stop is still going on half an extend timeout before the stop timeout
// runs out, the Notifier sends EXTEND_TIMEOUT_USEC (see [WithExtendTimeout]) and keeps re-sending
// it until its own stop, so systemd does not SIGKILL a service whose grace budget is longer than
// TimeoutStopSec. Must be positive; default [DefaultStopTimeout].
func WithStopTimeout(d time.Duration) Option {
	return option(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("stop timeout must be positive, got %v", d))
		}
		c.stopTimeout = d
	})
}

// WithExtendTimeout sets the value of EXTEND_TIMEOUT_USEC: each message moves systemd's stop
// deadline to at least this long from now, and the Notifier re-sends it every half of it. A
// service that hangs is therefore killed at most this long after its last message. Must be
// positive; default [DefaultExtendTimeout].
func WithExtendTimeout(d time.Duration) Option {
	return option(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("extend timeout must be positive, got %v", d))
		}
		c.extendTimeout = d
	})
}

// WithLogger sets where failures to reach the notify socket are logged. The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return option(func(c *config) { c.logger = l })
}
