//go:build unix

package graceupgrade

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gracekit/grace/internal/sdnotify"
)

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
	ln, err := socket(u, name, network, net.FileListener, net.Listener.Addr,
		func() (net.Listener, error) { return listen(network, address) }, syscall.SOCK_STREAM, syscall.SOCK_SEQPACKET)
	if err != nil {
		return nil, fmt.Errorf("listener %q: %w", name, err)
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
	pc, err := socket(u, name, network, net.FilePacketConn, net.PacketConn.LocalAddr, func() (net.PacketConn, error) {
		var lc net.ListenConfig
		return lc.ListenPacket(context.Background(), network, address)
	}, syscall.SOCK_DGRAM)
	if err != nil {
		return nil, fmt.Errorf("packet socket %q: %w", name, err)
	}
	u.add(sock{name: name, pc: pc})
	return pc, nil
}

// socket claims name and returns the socket inherited under it, or a new one from fresh when
// none was. The inherited descriptor, which it closes, is turned into S by fromFile once it is
// checked to be a socket of one of the types; local gives its address, whose family must be
// network's. Another kind of socket is an error matching [ErrWrongType].
func socket[S interface{ Close() error }](u *Upgrader, name, network string, fromFile func(*os.File) (S, error), local func(S) net.Addr,
	fresh func() (S, error), types ...int) (S, error) {
	var none S
	f, err := u.claim(name)
	if err != nil {
		return none, err
	}
	if f == nil {
		return fresh()
	}
	if err := checkType(f, network, types...); err != nil {
		return none, err
	}
	s, err := fromFile(f)
	_ = f.Close()
	if err != nil {
		return none, fmt.Errorf("inherited descriptor: %w", err)
	}
	if got, want := local(s).Network(), family(network); got != want {
		_ = s.Close()
		return none, fmt.Errorf("inherited a %s socket, asked for %s: %w", got, network, ErrWrongType)
	}
	return s, nil
}

// checkType closes f and fails with [ErrWrongType] unless it is a socket of one of the types.
func checkType(f *os.File, network string, types ...int) error {
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
		return fmt.Errorf("inherited descriptor is not a socket (%v): %w", err, ErrWrongType)
	}
	for _, t := range types {
		if typ == t {
			return nil
		}
	}
	_ = f.Close()
	kind := map[int]string{syscall.SOCK_STREAM: "stream", syscall.SOCK_DGRAM: "datagram", syscall.SOCK_SEQPACKET: "seqpacket"}[typ]
	return fmt.Errorf("inherited a %s socket, asked for %s: %w", kind, network, ErrWrongType)
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
	if err := sdnotify.CheckName(name); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range u.socks {
		if s.name == name {
			return nil, ErrDuplicateName
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
