//go:build unix

package graceupgrade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

// Upgrader hands a process's named sockets to its successor. It is a grace component: add it
// to the app with grace.StopsLast(), so that it starts before and stops after everything that
// serves on its sockets (in sequential mode this is what holds the other components back until
// the parent is gone). It implements grace.Validator, grace.Starter, grace.Runner,
// grace.Drainer and grace.Stopper.
type Upgrader struct {
	app      *grace.App
	cfg      config
	log      *slog.Logger
	problems []string // what New found besides the options

	in      inherited
	readyW  *os.File    // a successor's pipe to its parent (descriptor 3)
	parentR *os.File    // a successor's end of its parent's pipe (descriptor 4)
	started atomic.Bool // Start was called

	mu         sync.Mutex
	spare      []NamedFile // inherited, not claimed yet
	socks      []sock      // claimed or created, in order
	upgrading  bool
	stopping   bool
	handedTo   int
	attempts   int
	failed     int
	cancelUp   context.CancelCauseFunc
	upDone     chan struct{}
	pidWritten bool

	sigCh    chan os.Signal
	quit     chan struct{}
	quitOnce sync.Once
	wg       sync.WaitGroup
	admin    *http.Server
}

var _ interface {
	grace.Validator
	grace.Starter
	grace.Runner
	grace.Drainer
	grace.Stopper
} = (*Upgrader)(nil)

// New returns an Upgrader for app. It takes over what the process inherited — named sockets
// from a parent's upgrade, or from systemd (socket activation, file-descriptor store:
// LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) — marks those descriptors close-on-exec, and removes
// the variables from the process's environment, so that no other child process inherits them.
// Problems (a bad option, malformed variables, a nil app) are returned by Validate, so the app
// refuses to start, naming them.
func New(app *grace.App, opts ...Option) *Upgrader {
	u := &Upgrader{app: app, quit: make(chan struct{})}
	u.cfg = config{readyTimeout: DefaultReadyTimeout, killGrace: DefaultKillGrace, notify: true}
	option.Each(opts, func(o Option) { o.apply(&u.cfg) })
	if !u.cfg.signalsSet {
		u.cfg.signals = []os.Signal{syscall.SIGHUP}
	}
	u.log = u.cfg.logger
	if u.log == nil {
		u.log = slog.Default()
	}
	if app == nil {
		u.problems = append(u.problems, "app must not be nil")
	}
	in, err := parseEnv(os.Getenv, os.Getpid(), os.Getppid())
	for _, k := range inheritVars {
		_ = os.Unsetenv(k)
	}
	if err != nil {
		u.problems = append(u.problems, err.Error())
		return u
	}
	u.in = in
	for i, fd := range in.fds {
		f, err := takeFD(fd, in.names[i])
		if err != nil {
			u.problems = append(u.problems, err.Error())
			continue
		}
		u.spare = append(u.spare, NamedFile{Name: in.names[i], File: f})
	}
	if in.successor {
		var err1, err2 error
		u.readyW, err1 = takeFD(readyFD, "graceupgrade-ready")
		u.parentR, err2 = takeFD(parentFD, "graceupgrade-parent")
		if err := errors.Join(err1, err2); err != nil {
			u.problems = append(u.problems, err.Error())
		}
	}
	return u
}

// takeFD checks that fd is open, marks it close-on-exec and non-blocking (so that reads obey
// deadlines), and wraps it.
func takeFD(fd int, name string) (*os.File, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("inherited descriptor %d (%s): %w", fd, name, err)
	}
	syscall.CloseOnExec(fd)
	_ = syscall.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name), nil
}

// Validate reports the problems found by New — bad options, malformed inherited-descriptor
// variables, a nil app — all at once, as a *grace.ConfigError, or nil. Each problem names the
// option or variable and the bad value.
func (u *Upgrader) Validate() error {
	return u.cfg.Err(u.problems...)
}

// Successor reports whether this process was started by its parent's upgrade.
func (u *Upgrader) Successor() bool { return u.in.successor }

// Stats returns the counts of this process's upgrade attempts.
func (u *Upgrader) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return Stats{Attempts: u.attempts, Failed: u.failed, Successor: u.handedTo}
}

func (u *Upgrader) emit(e Event) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	for _, f := range u.cfg.observers {
		f(e)
	}
}

// AdminAddr returns the admin endpoint's address once Start has returned, or nil without
// [WithAdmin].
func (u *Upgrader) AdminAddr() net.Addr {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range u.socks {
		if s.name == AdminListener && s.ln != nil {
			return s.ln.Addr()
		}
	}
	return nil
}
