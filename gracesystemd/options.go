package gracesystemd

import (
	"log/slog"
	"time"

	"github.com/gracekit/grace/internal/option"
)

// Defaults.
const (
	// DefaultTimeoutStopSec is systemd's own default for a unit's TimeoutStopSec
	// (DefaultTimeoutStopSec in system.conf).
	DefaultTimeoutStopSec = 90 * time.Second
	// DefaultExtendTimeout is the EXTEND_TIMEOUT_USEC sent while a stop outlasts the stop timeout.
	DefaultExtendTimeout = 10 * time.Second
)

// Option configures a [Notifier]. Only the With functions of this package make one.
type Option = option.Func[config]

type config struct {
	timeoutStopSec time.Duration
	extendTimeout  time.Duration
	option.Logged
}

// WithTimeoutStopSec tells the Notifier the unit's TimeoutStopSec, which systemd does not pass
// to the service (it is systemd's limit on the whole stop, not a component's grace.StopTimeout).
// When a stop is still going on half an extend timeout before TimeoutStopSec runs out, the
// Notifier sends EXTEND_TIMEOUT_USEC (see [WithExtendTimeout]) and keeps re-sending it until its
// own stop, so systemd does not SIGKILL a service whose grace budget is longer than
// TimeoutStopSec. Must be positive; default [DefaultTimeoutStopSec].
func WithTimeoutStopSec(d time.Duration) Option {
	return func(c *config) { c.timeoutStopSec = c.Positive("TimeoutStopSec", d) }
}

// WithExtendTimeout sets the value of EXTEND_TIMEOUT_USEC: each message moves systemd's stop
// deadline to at least this long from now, and the Notifier re-sends it every half of it. A
// service that hangs is therefore killed at most this long after its last message. Must be
// positive; default [DefaultExtendTimeout].
func WithExtendTimeout(d time.Duration) Option {
	return func(c *config) { c.extendTimeout = c.Positive("extend timeout", d) }
}

// WithLogger sets where failures to reach the notify socket are logged. The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.SetLogger(l) }
}
