package gracegrpc

import (
	"fmt"
	"slices"
	"time"

	"github.com/gracekit/grace"
	"google.golang.org/grpc"
)

// Defaults.
const (
	// DefaultWatchEndTimeout bounds how long Drain waits for open health Watch streams to be sent
	// NOT_SERVING and end.
	DefaultWatchEndTimeout = time.Second
	// DefaultCutMargin is how long before the stop deadline GracefulStop gives up and Stop cuts
	// the RPCs still running, so the stop can name them and return within its limit.
	DefaultCutMargin = grace.DefaultCutMargin
)

// Option configures a [Server].
type Option interface {
	apply(*config)
}

type config struct {
	serverOpts      []grpc.ServerOption
	watchEndTimeout time.Duration
	cutMargin       time.Duration
	quiet           time.Duration
	problems        []string
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

// WithServerOptions passes options to grpc.NewServer (credentials, keepalive, limits, your own
// interceptors). The server's drain interceptors run first, outside any given here.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return option(func(c *config) { c.serverOpts = append(c.serverOpts, slices.Clone(opts)...) })
}

// WithWatchEndTimeout sets how long Drain waits for open health Watch streams to receive
// NOT_SERVING and end. Must be positive; default [DefaultWatchEndTimeout].
func WithWatchEndTimeout(d time.Duration) Option {
	return option(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("watch end timeout must be positive, got %v", d))
		}
		c.watchEndTimeout = d
	})
}

// WithCutMargin sets how long before the stop deadline the graceful stop is given up: at that
// point the RPCs still running are recorded, cut with grpc's Stop, named in Stop's error and
// counted as lost ([Server.Account]). The margin is clamped to a tenth of the time left when Stop
// is called (grace.CutAt), so an RPC shorter than nine tenths of the stop limit finishes. Must
// be positive; default [DefaultCutMargin].
func WithCutMargin(d time.Duration) Option {
	return option(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("cut margin must be positive, got %v", d))
		}
		c.cutMargin = d
	})
}

// WithQuietPeriod turns on the adaptive drain delay: the server's [Server.Quiet] channel closes
// once no RPC (health service calls aside) has arrived for d since the drain began, which lets
// the app end its drain delay early (its report says "quiet"). Off by default. Must be positive.
func WithQuietPeriod(d time.Duration) Option {
	return option(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("quiet period must be positive, got %v", d))
		}
		c.quiet = d
	})
}
