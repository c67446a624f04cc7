package gracefasthttp

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gracekit/grace"
)

// Defaults.
const (
	// DefaultLivePath and DefaultReadyPath are where the health handlers answer.
	DefaultLivePath  = "/livez"
	DefaultReadyPath = "/readyz"
	// DefaultLinger is how long, at Stop, a connection that was accepted but has sent nothing yet
	// may stay open before it is closed: long enough for a request already on its way.
	DefaultLinger = 100 * time.Millisecond
	// DefaultMaxTracked is how many concurrent requests are tracked by method, path and age;
	// requests beyond it are counted but not named.
	DefaultMaxTracked = 4096
)

// Option configures a [Server] ([New]) or the health handler ([Health]). Options that do not
// concern the one being configured are ignored by it.
type Option interface {
	apply(*config)
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

type config struct {
	addr       string
	ln         net.Listener
	app        *grace.App
	livePath   string
	readyPath  string
	exempt     func(path []byte) bool
	quiet      time.Duration
	cutMargin  time.Duration
	linger     time.Duration
	maxTracked int
	logger     *slog.Logger
	name       string
	serve      func(net.Listener) error
	problems   []string
}

func newConfig(opts []Option) config {
	c := config{
		livePath:   DefaultLivePath,
		readyPath:  DefaultReadyPath,
		cutMargin:  grace.DefaultCutMargin,
		linger:     DefaultLinger,
		maxTracked: DefaultMaxTracked,
		name:       "fasthttp",
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.exempt == nil {
		live, ready := c.livePath, c.readyPath
		c.exempt = func(p []byte) bool { return string(p) == live || string(p) == ready }
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

func (c *config) positive(what string, d time.Duration) {
	if d <= 0 {
		c.problems = append(c.problems, fmt.Sprintf("%s must be positive, got %v", what, d))
	}
}

// WithAddr makes Start listen on addr ("host:port"). Without it or [WithListener], Start fails.
func WithAddr(addr string) Option { return option(func(c *config) { c.addr = addr }) }

// WithListener serves on ln, which the server then owns: it is closed at Stop. It takes
// precedence over [WithAddr].
func WithListener(ln net.Listener) Option {
	return option(func(c *config) {
		if ln == nil {
			c.problems = append(c.problems, "WithListener: nil listener")
			return
		}
		c.ln = ln
	})
}

// WithHealth serves liveness and readiness from app's phase on the server itself (at
// [DefaultLivePath] and [DefaultReadyPath] unless set otherwise), ahead of the handler. Health
// requests do not count as traffic for the quiet period and are never cut.
func WithHealth(app *grace.App) Option { return option(func(c *config) { c.app = app }) }

// WithLivePath sets the liveness path.
func WithLivePath(path string) Option { return option(func(c *config) { c.livePath = path }) }

// WithReadyPath sets the readiness path.
func WithReadyPath(path string) Option { return option(func(c *config) { c.readyPath = path }) }

// WithExempt sets which requests are not traffic (health checks, metrics scrapes): they do not
// reset the quiet period and are not tracked. The default exempts the health paths.
func WithExempt(exempt func(path []byte) bool) Option {
	return option(func(c *config) { c.exempt = exempt })
}

// WithQuietPeriod makes the server a quiet source for the app's adaptive drain delay: once
// draining, it reports quiet when no request (exempt ones aside) has arrived for d.
func WithQuietPeriod(d time.Duration) Option {
	return option(func(c *config) { c.positive("quiet period", d); c.quiet = d })
}

// WithCutMargin sets the margin given to [grace.CutAt]: how long before Stop's deadline the
// requests still running are cut (clamped to a tenth of the time left); default
// [grace.DefaultCutMargin].
func WithCutMargin(d time.Duration) Option {
	return option(func(c *config) { c.positive("cut margin", d); c.cutMargin = d })
}

// WithLinger sets how long a connection that has sent nothing may stay open once Stop began;
// default [DefaultLinger].
func WithLinger(d time.Duration) Option {
	return option(func(c *config) { c.positive("linger", d); c.linger = d })
}

// WithMaxTracked sets how many concurrent requests are tracked by name; default
// [DefaultMaxTracked].
func WithMaxTracked(n int) Option {
	return option(func(c *config) {
		if n <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("max tracked must be positive, got %d", n))
		}
		c.maxTracked = n
	})
}

// WithLogger sets the logger for the requests cut; default slog.Default().
func WithLogger(l *slog.Logger) Option { return option(func(c *config) { c.logger = l }) }

// WithName names the server in its log lines; default "fasthttp".
func WithName(name string) Option { return option(func(c *config) { c.name = name }) }

// WithServe makes Run serve the listener with serve instead of the server's Serve method: for a
// framework that owns the *fasthttp.Server and must prepare itself before serving (gracefiber
// passes Fiber's App.Listener). serve must serve srv on the listener it is given and return when
// that listener is closed.
func WithServe(serve func(net.Listener) error) Option {
	return option(func(c *config) { c.serve = serve })
}
