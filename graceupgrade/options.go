package graceupgrade

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"time"

	"github.com/gracekit/grace/internal/option"
)

// Defaults.
const (
	// DefaultReadyTimeout bounds how long a parent waits for its successor to report ready (in
	// sequential mode: to take the sockets). A successor that misses it is stopped and reaped.
	DefaultReadyTimeout = time.Minute
	// DefaultKillGrace is how long a failed successor gets between SIGTERM and SIGKILL.
	DefaultKillGrace = 5 * time.Second
	// AdminPath is where the admin endpoint ([WithAdmin]) takes POST requests.
	AdminPath = "/upgrade"
	// AdminListener is the name of the admin endpoint's listener, handed to successors like any
	// other named listener.
	AdminListener = "graceupgrade-admin"
	// StopReason begins the reason a parent gives [grace.App.Stop] once its successor took over,
	// so that observers (gracesystemd) can tell an upgrade's stop from the service's stop.
	StopReason = "upgrade"
)

// Mode says how parent and successor share the time of an upgrade.
type Mode int

const (
	// Overlap (the default, for stateless services): the successor runs its whole start while
	// the parent serves; once it is ready the parent drains and exits. Both accept from the same
	// sockets meanwhile.
	Overlap Mode = iota
	// Sequential (for services that own state two processes cannot open at once, such as an
	// embedded store): the successor takes the sockets, then waits to start its components until
	// the parent has stopped completely. Clients wait in the shared accept queue meanwhile.
	Sequential
)

func (m Mode) String() string {
	if m == Sequential {
		return modeSequential
	}
	return modeOverlap
}

// Option configures an [Upgrader] ([New]).
type Option interface {
	apply(*config)
}

type config struct {
	mode         Mode
	signals      []os.Signal
	signalsSet   bool
	readyTimeout time.Duration
	killGrace    time.Duration
	adminAddr    string
	adminToken   string
	pidFile      string
	observers    []func(Event)
	logger       *slog.Logger
	notify       bool
	option.Problems
}

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

// WithMode sets the upgrade mode; default [Overlap].
func WithMode(m Mode) Option {
	return optionFunc(func(c *config) {
		if m != Overlap && m != Sequential {
			c.Addf("unknown mode %d", int(m))
		}
		c.mode = m
	})
}

// WithSignals sets the signals that trigger an upgrade; default SIGHUP. With no arguments no
// signal does: programs then call [Upgrader.Upgrade] themselves, or use [WithAdmin].
func WithSignals(sigs ...os.Signal) Option {
	return optionFunc(func(c *config) { c.signals, c.signalsSet = slices.Clone(sigs), true })
}

// WithReadyTimeout bounds how long the parent waits for its successor to be ready (to take the
// sockets, in sequential mode); default [DefaultReadyTimeout]. Must be positive.
func WithReadyTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.readyTimeout = c.Positive("ready timeout", d) })
}

// WithKillGrace sets how long a failed successor gets between SIGTERM and SIGKILL; default
// [DefaultKillGrace]. Must be positive.
func WithKillGrace(d time.Duration) Option {
	return optionFunc(func(c *config) { c.killGrace = c.Positive("kill grace", d) })
}

// WithAdmin turns on the admin endpoint: an HTTP server on addr whose POST [AdminPath] runs an
// upgrade and answers once it is over (200 with the successor's PID; 409 when one is under way
// or the app is not serving; 502 when the successor failed). Off by default. With an empty
// token addr must be a loopback address (127.0.0.1:9901, [::1]:9901, localhost:9901); with a
// token any address is allowed and requests must carry "Authorization: Bearer <token>". Its
// listener is named [AdminListener] and passes to successors like the others.
func WithAdmin(addr, token string) Option {
	return optionFunc(func(c *config) {
		c.adminAddr, c.adminToken = addr, token
		if err := checkAdminAddr(addr, token); err != nil {
			c.Addf("%v", err)
		}
	})
}

func checkAdminAddr(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("admin address %q: %v", addr, err)
	}
	if token != "" {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("admin address %q is not loopback: bind it to 127.0.0.1 or ::1, or give a token", addr)
}

// WithPIDFile makes the process that serves write its PID to path once it is ready, replacing
// the file atomically (a temporary file renamed over it), so that a supervisor reading it sees
// the old PID or the new one, never a partial one. The last process removes it when it stops
// without a successor.
func WithPIDFile(path string) Option {
	return optionFunc(func(c *config) {
		if path == "" {
			c.Addf("PID file path must not be empty")
		}
		c.pidFile = path
	})
}

// WithNotify(false) keeps the Upgrader from sending its datagrams to systemd's NOTIFY_SOCKET
// (see the package doc). Default true; without NOTIFY_SOCKET nothing is sent anyway.
func WithNotify(on bool) Option { return optionFunc(func(c *config) { c.notify = on }) }

// WithObserver adds a function called for every [Event], synchronously, from the Upgrader's
// goroutines. It must be quick. Observers add up.
func WithObserver(f func(Event)) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.observers = append(c.observers, f)
		}
	})
}

// WithLogger sets where upgrades, refusals and failures are logged; default slog.Default().
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) }
