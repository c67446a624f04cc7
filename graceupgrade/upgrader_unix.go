//go:build unix

package graceupgrade

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gracekit/grace"
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
	problems []string

	in      inherited
	readyW  *os.File // a successor's pipe to its parent (descriptor 3)
	parentR *os.File // a successor's end of its parent's pipe (descriptor 4)

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
	started    bool

	sigCh    chan os.Signal
	quit     chan struct{}
	quitOnce sync.Once
	wg       sync.WaitGroup
	admin    *http.Server
}

type sock struct {
	name string
	ln   net.Listener
	pc   net.PacketConn
}

func (s sock) syscallConn() (syscall.RawConn, error) {
	var c any = s.ln
	if s.pc != nil {
		c = s.pc
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("socket %q (%T) has no descriptor to hand over", s.name, c)
	}
	return sc.SyscallConn()
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
	for _, o := range opts {
		if o != nil {
			o.apply(&u.cfg)
		}
	}
	if !u.cfg.signalsSet {
		u.cfg.signals = []os.Signal{syscall.SIGHUP}
	}
	u.log = u.cfg.logger
	if u.log == nil {
		u.log = slog.Default()
	}
	u.problems = append(u.problems, u.cfg.problems...)
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

// Validate reports the problems found by New, all at once.
func (u *Upgrader) Validate() error {
	if len(u.problems) == 0 {
		return nil
	}
	return fmt.Errorf("graceupgrade: %s", strings.Join(u.problems, "; "))
}

// Successor reports whether this process was started by its parent's upgrade.
func (u *Upgrader) Successor() bool { return u.in.successor }

// Stats returns the counts of this process's upgrade attempts.
func (u *Upgrader) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return Stats{Attempts: u.attempts, Failed: u.failed, Successor: u.handedTo}
}

// Listen returns the stream listener named name: the inherited one if the process was handed
// a socket of that name (the address is then not looked at: the name is what identifies a
// socket; use a new name to move to a new address), else a new one on network ("tcp", "tcp4",
// "tcp6", "unix", "unixpacket") and address. An inherited socket of another kind is an error
// matching [ErrWrongType]. A unix socket's file is never removed by closing the listener (a
// successor may be serving on it); a stale one nobody answers on is removed before binding.
//
// The listener belongs to the caller (hand it to gracehttp.WithListener or gracegrpc.New):
// closing it closes this process's descriptor only, and a successor holding the same socket
// keeps it, with its accept queue, open. Call Listen before the app runs.
func (u *Upgrader) Listen(name, network, address string) (net.Listener, error) {
	f, err := u.claim(name)
	if err != nil {
		return nil, err
	}
	var ln net.Listener
	if f != nil {
		if err := checkType(f, name, network, syscall.SOCK_STREAM, syscall.SOCK_SEQPACKET); err != nil {
			return nil, err
		}
		ln, err = net.FileListener(f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("listener %q: inherited descriptor: %w", name, err)
		}
		if got, want := ln.Addr().Network(), family(network); got != want {
			_ = ln.Close()
			return nil, fmt.Errorf("listener %q: inherited a %s socket, asked for %s: %w", name, got, network, ErrWrongType)
		}
	} else {
		ln, err = listen(network, address)
		if err != nil {
			return nil, fmt.Errorf("listener %q: %w", name, err)
		}
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	u.add(sock{name: name, ln: ln})
	return ln, nil
}

// ListenPacket is [Upgrader.Listen] for datagram sockets: network "udp", "udp4", "udp6" or
// "unixgram". Datagrams queued on the socket are read by whichever process reads first; state
// kept per peer (QUIC connections, say) does not move.
func (u *Upgrader) ListenPacket(name, network, address string) (net.PacketConn, error) {
	f, err := u.claim(name)
	if err != nil {
		return nil, err
	}
	var pc net.PacketConn
	if f != nil {
		if err := checkType(f, name, network, syscall.SOCK_DGRAM); err != nil {
			return nil, err
		}
		pc, err = net.FilePacketConn(f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("packet socket %q: inherited descriptor: %w", name, err)
		}
		if got, want := pc.LocalAddr().Network(), family(network); got != want {
			_ = pc.Close()
			return nil, fmt.Errorf("packet socket %q: inherited a %s socket, asked for %s: %w", name, got, network, ErrWrongType)
		}
	} else {
		var lc net.ListenConfig
		pc, err = lc.ListenPacket(context.Background(), network, address)
		if err != nil {
			return nil, fmt.Errorf("packet socket %q: %w", name, err)
		}
	}
	u.add(sock{name: name, pc: pc})
	return pc, nil
}

// checkType closes f and fails with [ErrWrongType] unless it is a socket of one of the types.
func checkType(f *os.File, name, network string, types ...int) error {
	var typ int
	var terr error
	rc, err := f.SyscallConn()
	if err == nil {
		err = rc.Control(func(fd uintptr) { typ, terr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE) })
	}
	if err == nil {
		err = terr
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("%q: inherited descriptor is not a socket (%v): %w", name, err, ErrWrongType)
	}
	for _, t := range types {
		if typ == t {
			return nil
		}
	}
	_ = f.Close()
	kind := map[int]string{syscall.SOCK_STREAM: "stream", syscall.SOCK_DGRAM: "datagram", syscall.SOCK_SEQPACKET: "seqpacket"}[typ]
	return fmt.Errorf("%q: inherited a %s socket, asked for %s: %w", name, kind, network, ErrWrongType)
}

func family(network string) string {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return "tcp"
	case "udp", "udp4", "udp6":
		return "udp"
	}
	return network
}

// claim checks name and returns the inherited descriptor of that name, or nil.
func (u *Upgrader) claim(name string) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range u.socks {
		if s.name == name {
			return nil, fmt.Errorf("%q: %w", name, ErrDuplicateName)
		}
	}
	for i, nf := range u.spare {
		if nf.Name == name {
			u.spare = append(u.spare[:i], u.spare[i+1:]...)
			return nf.File, nil
		}
	}
	return nil, nil
}

func (u *Upgrader) add(s sock) {
	u.mu.Lock()
	u.socks = append(u.socks, s)
	u.mu.Unlock()
}

func listen(network, address string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), network, address)
	if err == nil || (network != "unix" && network != "unixpacket") || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	// A socket file left by a process that is gone: nobody answers on it.
	if c, derr := net.DialTimeout(network, address, time.Second); derr == nil {
		_ = c.Close()
		return nil, err
	}
	if rerr := os.Remove(address); rerr != nil {
		return nil, err
	}
	return lc.Listen(context.Background(), network, address)
}

// Files returns a copy of each named socket's descriptor, in the order they were created,
// for handing to another keeper such as systemd's file-descriptor store (FDSTORE=1 with
// FDNAME= set to the name, which [New] in the next process finds in LISTEN_FDNAMES). The
// copies are close-on-exec and keep their non-blocking mode; the caller closes them. It fails
// if a socket was closed meanwhile.
func (u *Upgrader) Files() ([]NamedFile, error) {
	u.mu.Lock()
	socks := append([]sock(nil), u.socks...)
	u.mu.Unlock()
	var out []NamedFile
	for _, s := range socks {
		f, err := dupFile(s)
		if err != nil {
			for _, nf := range out {
				_ = nf.File.Close()
			}
			return nil, err
		}
		out = append(out, NamedFile{Name: s.name, File: f})
	}
	return out, nil
}

// dupFile copies s's descriptor. Unlike net's File methods, it leaves the socket in
// non-blocking mode when the copy is handed to exec (File's copy would switch the socket this
// process still accepts on to blocking mode, shared by both descriptors).
func dupFile(s sock) (*os.File, error) {
	rc, err := s.syscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var derr error
	if err := rc.Control(func(fd uintptr) {
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
		nfd, derr = syscall.Dup(int(fd))
		if derr == nil {
			syscall.CloseOnExec(nfd)
		}
	}); err != nil {
		return nil, fmt.Errorf("socket %q: %w", s.name, err)
	}
	if derr != nil {
		return nil, fmt.Errorf("socket %q: dup: %w", s.name, derr)
	}
	return os.NewFile(uintptr(nfd), s.name), nil
}

// Start begins watching the trigger signals, serves the admin endpoint if configured, and
// closes inherited descriptors no Listen claimed. In a successor in sequential mode it then
// tells the parent it has the sockets and waits, bounded by ctx (the start timeout), until the
// parent has stopped completely; the components that start after it start only then.
func (u *Upgrader) Start(ctx context.Context) error {
	u.mu.Lock()
	if u.started {
		u.mu.Unlock()
		return errors.New("graceupgrade: already started")
	}
	u.started = true
	u.mu.Unlock()
	if u.cfg.adminAddr != "" {
		if err := u.startAdmin(); err != nil {
			return err
		}
	}
	u.mu.Lock()
	spare := u.spare
	u.spare = nil
	u.mu.Unlock()
	for _, nf := range spare {
		u.log.Warn("graceupgrade: inherited socket not claimed by any Listen, closed", "name", nf.Name)
		_ = nf.File.Close()
	}
	if len(u.cfg.signals) > 0 {
		u.sigCh = make(chan os.Signal, 1)
		signal.Notify(u.sigCh, u.cfg.signals...)
	}
	if u.in.successor && u.in.mode == modeSequential {
		if err := u.awaitParent(ctx); err != nil {
			return err
		}
	}
	return nil
}

// awaitParent is a sequential successor's handshake: "armed", then wait for the parent's pipe to
// close, which happens once the parent has stopped completely (or exited).
func (u *Upgrader) awaitParent(ctx context.Context) error {
	if _, err := fmt.Fprintf(u.readyW, "armed %d\n", os.Getpid()); err != nil {
		return fmt.Errorf("graceupgrade: tell the parent: %w", err)
	}
	_ = u.readyW.Close()
	u.log.Info("graceupgrade: sockets taken, waiting for the parent to stop", "parent", u.in.ppid)
	stop := context.AfterFunc(ctx, func() { _ = u.parentR.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 64)
	for {
		_, err := u.parentR.Read(buf)
		if err == nil {
			continue
		}
		_ = u.parentR.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("graceupgrade: parent %d did not stop before the start timeout: %w", u.in.ppid, context.Cause(ctx))
		}
		u.log.Info("graceupgrade: parent stopped, starting", "parent", u.in.ppid)
		return nil
	}
}

// Run waits for the app to be ready — every component started — and then, in a successor,
// tells the parent (which begins its stop) and the service manager; it writes the PID file.
// From then on it turns trigger signals into upgrades until the stop.
func (u *Upgrader) Run(ctx context.Context) error {
	select {
	case <-u.app.Await(grace.PhaseReady):
	case <-ctx.Done():
		return nil
	case <-u.quit:
		return nil
	}
	if u.app.Phase() == grace.PhaseReady {
		u.becameReady()
	}
	for {
		select {
		case s := <-u.sigCh:
			u.log.Info("graceupgrade: signal received, upgrading", "signal", s.String())
			u.wg.Go(func() { _, _ = u.Upgrade(context.Background()) })
		case <-ctx.Done():
			return nil
		case <-u.quit:
			return nil
		}
	}
}

func (u *Upgrader) becameReady() {
	pid := os.Getpid()
	if u.in.successor && u.in.mode == modeOverlap {
		if _, err := fmt.Fprintf(u.readyW, "ready %d\n", pid); err != nil {
			u.log.Error("graceupgrade: could not tell the parent this process is ready", "parent", u.in.ppid, "error", err)
		}
		_ = u.readyW.Close()
		// The parent answers once it has told the service manager this is the main process.
		_ = u.parentR.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = bufio.NewReader(u.parentR).ReadString('\n')
		_ = u.parentR.Close()
	}
	if u.in.successor {
		u.notify("MAINPID=" + strconv.Itoa(pid) + "\nREADY=1")
	} else {
		u.notify("READY=1") // the first process: Type=notify waits for it
	}
	if u.cfg.pidFile != "" {
		if err := writePIDFile(u.cfg.pidFile, pid); err != nil {
			u.log.Error("graceupgrade: PID file not written", "path", u.cfg.pidFile, "error", err)
		} else {
			u.mu.Lock()
			u.pidWritten = true
			u.mu.Unlock()
		}
	}
}

// Drain cancels an upgrade under way, unless its successor already took over: the successor is
// stopped (SIGTERM, then SIGKILL after the kill grace) and reaped. It waits for that, bounded by
// ctx. Upgrades are refused from now on.
func (u *Upgrader) Drain(ctx context.Context) error {
	return u.cancelUpgrade(ctx)
}

func (u *Upgrader) cancelUpgrade(ctx context.Context) error {
	u.mu.Lock()
	u.stopping = true
	cancel, done := u.cancelUp, u.upDone
	u.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel(fmt.Errorf("%w: the app is stopping", ErrCancelled))
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("graceupgrade: stopping the successor: %w", context.Cause(ctx))
	}
}

// Stop cancels an upgrade under way as Drain does, stops watching signals and the admin
// endpoint, waits for the upgrades it started, and removes the PID file if this process wrote
// it and hands over to nobody. It does not close the named sockets: they belong to the
// components that serve on them.
func (u *Upgrader) Stop(ctx context.Context) error {
	err := u.cancelUpgrade(ctx)
	u.quitOnce.Do(func() { close(u.quit) })
	if u.sigCh != nil {
		signal.Stop(u.sigCh)
	}
	u.mu.Lock()
	admin := u.admin
	spare := u.spare
	u.spare = nil
	u.mu.Unlock()
	for _, nf := range spare {
		_ = nf.File.Close()
	}
	if admin != nil {
		if aerr := admin.Shutdown(ctx); aerr != nil {
			_ = admin.Close()
		}
	}
	u.wg.Wait()
	u.mu.Lock()
	removePID := u.pidWritten && u.handedTo == 0
	u.mu.Unlock()
	if removePID {
		if perr := removePIDFile(u.cfg.pidFile, os.Getpid()); perr != nil {
			u.log.Warn("graceupgrade: PID file not removed", "path", u.cfg.pidFile, "error", perr)
		}
	}
	for _, f := range []*os.File{u.readyW, u.parentR} {
		if f != nil {
			_ = f.Close()
		}
	}
	return err
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
