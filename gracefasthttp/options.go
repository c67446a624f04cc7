package gracefasthttp

import (
	"log/slog"
	"net"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/httpdrain"
	"github.com/gracekit/grace/internal/option"
)

// Defaults.
const (
	// DefaultLivePath and DefaultReadyPath are where the health handlers answer.
	DefaultLivePath  = httpdrain.LivePath
	DefaultReadyPath = httpdrain.ReadyPath
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

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

// config is a Server's configuration: the settings every HTTP adapter has (the health paths
// and app, the cut margin, the logger and name, the problems found), and fasthttp's own.
type config struct {
	httpdrain.Settings
	addr       string
	ln         net.Listener
	exempt     func(path []byte) bool
	quiet      time.Duration
	linger     time.Duration
	maxTracked int
	serve      func(net.Listener) error
}

func newConfig(opts []Option) config {
	c := config{Settings: httpdrain.Defaults("fasthttp"), linger: DefaultLinger, maxTracked: DefaultMaxTracked}
	option.Each(opts, func(o Option) { o.apply(&c) })
	if c.exempt == nil {
		live, ready := c.LivePath, c.ReadyPath
		c.exempt = func(p []byte) bool { return string(p) == live || string(p) == ready }
	}
	return c
}

// WithAddr makes Start listen on addr ("host:port"). Without it or [WithListener], Start fails.
func WithAddr(addr string) Option { return optionFunc(func(c *config) { c.addr = addr }) }

// WithListener serves on ln, which the server then owns: it is closed at Stop. It takes
// precedence over [WithAddr].
func WithListener(ln net.Listener) Option {
	return optionFunc(func(c *config) {
		if ln == nil {
			c.Addf("WithListener: nil listener")
		}
		c.ln = ln
	})
}

// WithHealth serves liveness and readiness from app's phase on the server itself (at
// [DefaultLivePath] and [DefaultReadyPath] unless set otherwise), ahead of the handler. Health
// requests do not count as traffic for the quiet period and are never cut.
func WithHealth(app *grace.App) Option { return optionFunc(func(c *config) { c.App = app }) }

// WithLivePath sets the liveness path.
func WithLivePath(path string) Option { return optionFunc(func(c *config) { c.LivePath = path }) }

// WithReadyPath sets the readiness path.
func WithReadyPath(path string) Option { return optionFunc(func(c *config) { c.ReadyPath = path }) }

// WithExempt sets which requests are not traffic (health checks, metrics scrapes): they do not
// reset the quiet period and are not tracked. The default exempts the health paths.
func WithExempt(exempt func(path []byte) bool) Option {
	return optionFunc(func(c *config) { c.exempt = exempt })
}

// WithQuietPeriod makes the server a quiet source for the app's adaptive drain delay: once
// draining, it reports quiet when no request (exempt ones aside) has arrived for d.
func WithQuietPeriod(d time.Duration) Option {
	return optionFunc(func(c *config) { c.quiet = c.Positive("quiet period", d) })
}

// WithCutMargin sets the margin given to [grace.CutAt]: how long before Stop's deadline the
// requests still running are cut (clamped to a tenth of the time left); default
// [grace.DefaultCutMargin].
func WithCutMargin(d time.Duration) Option { return optionFunc(func(c *config) { c.SetCutMargin(d) }) }

// WithLinger sets how long a connection that has sent nothing may stay open once Stop began;
// default [DefaultLinger].
func WithLinger(d time.Duration) Option {
	return optionFunc(func(c *config) { c.linger = c.Positive("linger", d) })
}

// WithMaxTracked sets how many concurrent requests are tracked by name; default
// [DefaultMaxTracked].
func WithMaxTracked(n int) Option {
	return optionFunc(func(c *config) { c.maxTracked = c.Count("max tracked", n) })
}

// WithLogger sets the logger for the requests cut; default (and for nil) slog.Default().
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.SetLogger(l) }) }

// WithName names the server in its log lines; default "fasthttp".
func WithName(name string) Option { return optionFunc(func(c *config) { c.Name = name }) }

// WithServe makes Run serve the listener with serve instead of the server's Serve method: for a
// framework that owns the *fasthttp.Server and must prepare itself before serving (gracefiber
// passes Fiber's App.Listener). serve must serve srv on the listener it is given and return when
// that listener is closed.
func WithServe(serve func(net.Listener) error) Option {
	return optionFunc(func(c *config) { c.serve = serve })
}
