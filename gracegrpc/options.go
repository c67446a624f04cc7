package gracegrpc

import (
	"slices"
	"time"

	"github.com/gracekit/grace/internal/option"
	"google.golang.org/grpc"
)

// DefaultWatchEndTimeout bounds how long Drain waits for open health Watch streams to be sent
// NOT_SERVING and end.
const DefaultWatchEndTimeout = time.Second

// Option configures a [Server]. Only the With functions of this package make one.
type Option = option.Func[config]

type config struct {
	serverOpts      []grpc.ServerOption
	watchEndTimeout time.Duration
	cutMargin       time.Duration
	quiet           time.Duration
	option.Problems
}

// WithServerOptions passes options to grpc.NewServer (credentials, keepalive, limits, your own
// interceptors). The server's drain interceptors run first, outside any given here.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return func(c *config) { c.serverOpts = append(c.serverOpts, slices.Clone(opts)...) }
}

// WithWatchEndTimeout sets how long Drain waits for open health Watch streams to receive
// NOT_SERVING and end. Must be positive; default [DefaultWatchEndTimeout].
func WithWatchEndTimeout(d time.Duration) Option {
	return func(c *config) { c.watchEndTimeout = c.Positive("watch end timeout", d) }
}

// WithCutMargin sets how long before the stop deadline the graceful stop is given up: at that
// point the RPCs still running are recorded, cut with grpc's Stop, named in Stop's error and
// counted as lost ([Server.Account]). The margin is clamped to a tenth of the time left when Stop
// is called (grace.CutAt), so an RPC shorter than nine tenths of the stop limit finishes. Must
// be positive; default grace.DefaultCutMargin.
func WithCutMargin(d time.Duration) Option {
	return func(c *config) { c.cutMargin = c.Positive("cut margin", d) }
}

// WithQuietPeriod turns on the adaptive drain delay: the server's [Server.Quiet] channel closes
// once no RPC (health service calls aside) has arrived for d since the drain began, which lets
// the app end its drain delay early (its report says "quiet"). Off by default. Must be positive.
func WithQuietPeriod(d time.Duration) Option {
	return func(c *config) { c.quiet = c.Positive("quiet period", d) }
}
