package gracehttp

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/gracekit/grace"
)

// Defaults. The server defaults are applied by [Server.Start] only to an http.Server field the
// user left at its zero value.
const (
	// DefaultLivePath and DefaultReadyPath are where the health handlers answer.
	DefaultLivePath  = "/livez"
	DefaultReadyPath = "/readyz"
	// DefaultLinger is how long, once no request runs any more, Stop lets connections that do not
	// close on their own (HTTP/2 after GOAWAY, accepted connections that never sent a request)
	// stay open before closing them. An accepted connection on which a request has arrived but
	// not been read yet (on unix, where Stop can peek) is not closed: it gets another linger, up
	// to the cut point.
	DefaultLinger = 250 * time.Millisecond
	// DefaultSlowDrain is how long Stop waits before it logs the requests still running.
	DefaultSlowDrain = time.Second
	// DefaultMaxTracked is how many concurrent requests are tracked by method, route and age;
	// requests beyond it are counted but not listed.
	DefaultMaxTracked = 4096
	// Safe server defaults, set only where the user set nothing.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// Option configures a [Server] ([New]) or the health handler ([Health]). Options that do not
// concern the one being configured are ignored by it.
type Option interface {
	apply(*config)
}

type config struct {
	listeners    []net.Listener
	app          *grace.App
	livePath     string
	readyPath    string
	exempt       func(*http.Request) bool
	quiet        time.Duration
	spread       time.Duration
	retryAfter   time.Duration
	cutMargin    time.Duration
	linger       time.Duration
	slowDrain    time.Duration
	maxTracked   int
	noDefaults   bool
	headerTO     time.Duration // the safe defaults (tests shorten them)
	idleTO       time.Duration
	goAway       func(net.Conn)
	goAwaySpread time.Duration
	logger       *slog.Logger
	name         string
	problems     []string
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

func newConfig(opts []Option) config {
	c := config{
		livePath:   DefaultLivePath,
		readyPath:  DefaultReadyPath,
		cutMargin:  grace.DefaultCutMargin,
		linger:     DefaultLinger,
		slowDrain:  DefaultSlowDrain,
		maxTracked: DefaultMaxTracked,
		headerTO:   DefaultReadHeaderTimeout,
		idleTO:     DefaultIdleTimeout,
		name:       "http",
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.exempt == nil {
		live, ready := c.livePath, c.readyPath
		c.exempt = func(r *http.Request) bool { return r.URL.Path == live || r.URL.Path == ready }
	}
	return c
}

func (c *config) positive(what string, d time.Duration) {
	if d <= 0 {
		c.problems = append(c.problems, fmt.Sprintf("%s must be positive, got %v", what, d))
	}
}

// Validate reports every problem with the options given to [New] and with the http.Server, as a
// *grace.ConfigError listing each (the app adds the component's name), or nil. It returns the
// same answer every time and has no effect.
func (s *Server) Validate() error {
	p := slices.Clone(s.cfg.problems)
	if s.srv == nil {
		p = append(p, "http.Server must not be nil")
	} else if tc := s.srv.TLSConfig; tc != nil && len(tc.Certificates) == 0 && tc.GetCertificate == nil && tc.GetConfigForClient == nil {
		p = append(p, "http.Server.TLSConfig has no certificate (set Certificates or GetCertificate)")
	}
	if len(p) > 0 {
		return &grace.ConfigError{Problems: p}
	}
	return nil
}

// WithListener serves on ln (a plain listener: TLS is configured through http.Server.TLSConfig,
// so that HTTP/2 is negotiated). It may be given more than once. Without it, Start listens on
// http.Server.Addr (":http", or ":https" with a TLSConfig, when Addr is empty).
func WithListener(ln net.Listener) Option {
	return option(func(c *config) {
		if ln == nil {
			c.problems = append(c.problems, "listener must not be nil")
			return
		}
		c.listeners = append(c.listeners, ln)
	})
}

// WithHealth makes the server answer the liveness and readiness paths itself from app's state
// (see [Health]), before the handler, exempt from drain accounting.
func WithHealth(app *grace.App) Option {
	return option(func(c *config) {
		if app == nil {
			c.problems = append(c.problems, "health app must not be nil")
		}
		c.app = app
	})
}

// WithLivePath sets the liveness path; default [DefaultLivePath].
func WithLivePath(path string) Option { return option(func(c *config) { c.livePath = path }) }

// WithReadyPath sets the readiness path; default [DefaultReadyPath].
func WithReadyPath(path string) Option { return option(func(c *config) { c.readyPath = path }) }

// WithExempt sets which requests are exempt from drain accounting: they are not counted or listed
// as in flight, do not keep the drain delay from being quiet, and are served normally in
// retry-after mode. The default exempts the liveness and readiness paths. Use the same predicate
// for everything that must not hold a drain (metrics scrapes, say).
func WithExempt(exempt func(*http.Request) bool) Option {
	return option(func(c *config) {
		if exempt == nil {
			c.problems = append(c.problems, "exempt predicate must not be nil")
		}
		c.exempt = exempt
	})
}

// WithQuietPeriod turns on the adaptive drain delay: the server's [Server.Quiet] channel closes
// once no request (exempt ones aside) has arrived for d since the drain began, which lets the
// app end its drain delay early (its report says "quiet"). Off by default.
func WithQuietPeriod(d time.Duration) Option {
	return option(func(c *config) { c.positive("quiet period", d); c.quiet = d })
}

// WithCloseSpread spreads the "Connection: close" (HTTP/1) or GOAWAY (HTTP/2) responses over d
// from the drain's start: a response then carries it with probability elapsed/d, so persistent
// clients reconnect gradually rather than all at once. The default (0) sends it on every
// response from the drain's start.
func WithCloseSpread(d time.Duration) Option {
	return option(func(c *config) { c.positive("close spread", d); c.spread = d })
}

// WithRetryAfter turns on retry-after mode, for clients that dial the instance directly: from
// Stop on, the listeners stay open and new requests (exempt ones aside) are answered 503 with
// "Retry-After" (d rounded up to whole seconds) and "Connection: close", until the requests
// already running have finished.
func WithRetryAfter(d time.Duration) Option {
	return option(func(c *config) { c.positive("retry-after", d); c.retryAfter = d })
}

// WithCutMargin sets how long before Stop's deadline the stop cuts the requests still running
// (cancels their contexts); half of it later, connections are force-closed, leaving the other
// half for Stop to return. Default grace.DefaultCutMargin. The margin is clamped to a tenth of
// the time left when Stop is called (grace.CutAt): with grace.StopTimeout(300*time.Millisecond)
// requests are cut 30 ms before the deadline, so a request shorter than 270 ms finishes.
func WithCutMargin(d time.Duration) Option {
	return option(func(c *config) { c.positive("cut margin", d); c.cutMargin = d })
}

// WithLinger sets how long connections that do not close on their own stay open once no request
// runs; default [DefaultLinger].
func WithLinger(d time.Duration) Option {
	return option(func(c *config) { c.positive("linger", d); c.linger = d })
}

// WithSlowDrain sets how long Stop waits before logging the requests still running; default
// [DefaultSlowDrain].
func WithSlowDrain(d time.Duration) Option {
	return option(func(c *config) { c.positive("slow drain", d); c.slowDrain = d })
}

// WithMaxTracked sets how many concurrent requests are listed by method, route and age; default
// [DefaultMaxTracked]. More are still counted and waited for.
func WithMaxTracked(n int) Option {
	return option(func(c *config) {
		if n <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("max tracked must be positive, got %d", n))
		}
		c.maxTracked = n
	})
}

// WithSafeDefaults(false) keeps Start from applying a read-header timeout
// ([DefaultReadHeaderTimeout]) and an idle timeout ([DefaultIdleTimeout]) to an http.Server
// that has none (see [Server.Start]). They protect against slow and idle clients holding
// connections (slowloris), and a drain from waiting on them. On a server that speaks HTTP/2 they
// are set in the http.Server's ReadHeaderTimeout and IdleTimeout. On an HTTP/1 server the Server
// enforces them itself, with the same effect as net/http's fields — an overstaying connection's
// read fails and net/http closes it — without their cost per request (net/http sets and clears
// a read deadline two or three times per request for them): a pass over the connections every
// tenth of the shorter timeout closes a connection between its timeout and the timeout plus a
// fifth, never before; the http.Server's fields stay as they were. A timeout set in the
// http.Server is left to net/http. Default true.
func WithSafeDefaults(on bool) Option { return option(func(c *config) { c.noDefaults = !on }) }

// WithGoAway sets the hook Stop calls, each in a goroutine of its own, for every hijacked
// connection (WebSockets and the like) still open, to ask its peer to go away — see
// [WebSocketGoingAway]. The hook gets the connection as the handler got it (a *tls.Conn over
// TLS) and runs concurrently with the handler: a handler that writes to the connection itself
// should instead watch [Draining] and say goodbye on its own goroutine.
func WithGoAway(hook func(net.Conn)) Option {
	return option(func(c *config) { c.goAway = hook })
}

// WithGoAwaySpread spreads the [WithGoAway] calls evenly over d from Stop's start, so that
// thousands of WebSocket clients do not all reconnect (to the other instances) at the same
// moment. Connections that close meanwhile are skipped; calls not yet made when the stop ends
// are not made. Default 0: all at once.
func WithGoAwaySpread(d time.Duration) Option {
	return option(func(c *config) { c.positive("go-away spread", d); c.goAwaySpread = d })
}

// WithLogger sets where the server logs slow drains and cut requests; default slog.Default().
func WithLogger(l *slog.Logger) Option { return option(func(c *config) { c.logger = l }) }

// WithName sets the name used in errors and logs; default "http".
func WithName(name string) Option { return option(func(c *config) { c.name = name }) }
