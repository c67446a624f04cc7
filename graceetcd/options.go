package graceetcd

import (
	"log/slog"
	"time"

	"github.com/gracekit/grace/internal/option"
)

// Defaults.
const (
	// DefaultTTL is the lease's time to live: how long the key outlives an instance that died
	// without deregistering, or that lost etcd.
	DefaultTTL = 10 * time.Second
	// DefaultCallTimeout bounds every call to etcd (grant, put, revoke).
	DefaultCallTimeout = 2 * time.Second
)

type config struct {
	option.Logged
	ttl         time.Duration
	callTimeout time.Duration
}

// Option configures a [Registration]. Only the With functions of this package make one.
type Option = option.Func[config]

// WithTTL sets the lease's time to live. etcd counts whole seconds, so d is rounded up to one;
// etcd may raise a TTL below its minimum (about 2 s with default settings). Must be at least
// 1 s; default [DefaultTTL].
func WithTTL(d time.Duration) Option {
	return func(c *config) { c.ttl = c.AtLeast("lease TTL", d, time.Second) }
}

// WithCallTimeout bounds every call to etcd. A deregistration also ends by the component's stop
// deadline, whichever is sooner. Must be positive; default [DefaultCallTimeout].
func WithCallTimeout(d time.Duration) Option {
	return func(c *config) { c.callTimeout = c.Positive("call timeout", d) }
}

// WithLogger sets where failed registration attempts and lost leases are logged. The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.SetLogger(l) }
}
