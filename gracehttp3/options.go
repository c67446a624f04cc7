package gracehttp3

import (
	"log/slog"
	"net"
	"time"

	"github.com/gracekit/grace/internal/httpdrain"
	"github.com/gracekit/grace/internal/option"
)

// Option configures a [Server].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

// config is a Server's configuration: the settings every HTTP adapter has (health, cut margin,
// logger, name, the problems found) and where to serve.
type config struct {
	httpdrain.Settings
	conn net.PacketConn
	addr string
}

func newConfig(opts []Option) config {
	c := config{Settings: httpdrain.Defaults("http3")}
	option.Each(opts, func(o Option) { o.apply(&c) })
	return c
}

// WithPacketConn serves on pc, which the server then owns: it is closed once the stop is over.
func WithPacketConn(pc net.PacketConn) Option {
	return optionFunc(func(c *config) {
		if pc == nil {
			c.Addf("WithPacketConn: nil connection")
		}
		c.conn = pc
	})
}

// WithAddr makes Start listen on UDP address addr. Without it or [WithPacketConn], Start uses the
// server's Addr field, and fails if that is empty too.
func WithAddr(addr string) Option { return optionFunc(func(c *config) { c.addr = addr }) }

// WithCutMargin sets the margin given to [grace.CutAt]: how long before Stop's deadline the
// requests still running are cut (clamped to a tenth of the time left); default
// [grace.DefaultCutMargin].
func WithCutMargin(d time.Duration) Option { return optionFunc(func(c *config) { c.SetCutMargin(d) }) }

// WithLogger sets the logger for the requests cut; default (and for nil) slog.Default().
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.SetLogger(l) }) }

// WithName names the server in its log lines; default "http3".
func WithName(name string) Option { return optionFunc(func(c *config) { c.Name = name }) }
