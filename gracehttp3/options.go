package gracehttp3

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gracekit/grace"
)

// Defaults.
const (
	DefaultLivePath  = "/livez"
	DefaultReadyPath = "/readyz"
)

// Option configures a [Server].
type Option interface{ apply(*config) }

type option func(*config)

func (o option) apply(c *config) { o(c) }

type config struct {
	conn      net.PacketConn
	addr      string
	app       *grace.App
	livePath  string
	readyPath string
	cutMargin time.Duration
	logger    *slog.Logger
	name      string
	problems  []string
}

func newConfig(opts []Option) config {
	c := config{livePath: DefaultLivePath, readyPath: DefaultReadyPath, cutMargin: grace.DefaultCutMargin, name: "http3"}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithPacketConn serves on pc, which the server then owns: it is closed once the stop is over.
func WithPacketConn(pc net.PacketConn) Option {
	return option(func(c *config) {
		if pc == nil {
			c.problems = append(c.problems, "WithPacketConn: nil connection")
			return
		}
		c.conn = pc
	})
}

// WithAddr makes Start listen on UDP address addr. Without it or [WithPacketConn], Start uses the
// server's Addr field, and fails if that is empty too.
func WithAddr(addr string) Option { return option(func(c *config) { c.addr = addr }) }

// WithHealth answers liveness and readiness from app's phase, ahead of the handler, at
// [DefaultLivePath] and [DefaultReadyPath]. The body names the phase and nothing else.
func WithHealth(app *grace.App) Option { return option(func(c *config) { c.app = app }) }

// WithCutMargin sets the margin given to [grace.CutAt]: how long before Stop's deadline the
// requests still running are cut (clamped to a tenth of the time left); default
// [grace.DefaultCutMargin].
func WithCutMargin(d time.Duration) Option {
	return option(func(c *config) {
		if d <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("cut margin must be positive, got %v", d))
		}
		c.cutMargin = d
	})
}

// WithLogger sets the logger for the requests cut; default slog.Default().
func WithLogger(l *slog.Logger) Option { return option(func(c *config) { c.logger = l }) }

// WithName names the server in its log lines; default "http3".
func WithName(name string) Option { return option(func(c *config) { c.name = name }) }
