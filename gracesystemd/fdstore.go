package gracesystemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"
)

// ErrNameInUse is matched by the error of [FDStore.Listen] when the name was already given to a
// listener by the same FDStore.
var ErrNameInUse = errors.New("listener name already in use")

// FDStore gives a service its named listeners back across restarts through systemd's
// file-descriptor store, so that a plain `systemctl restart` (or a crash and Restart=) refuses no
// connection and resets none that was waiting: the listening socket stays open in systemd while
// no process runs, connections queue in its backlog, and the next process serves them.
//
//	var store gracesystemd.FDStore
//	l, err := store.Listen("tcp", "127.0.0.1:8080", "web") // passed back by systemd, or new
//	...
//	app.Add("http", gracehttp.New(srv, gracehttp.WithListener(l)))
//	store.Prune() // once every listener is made: forget the names this version no longer uses
//
// with, in the unit:
//
//	[Service]
//	Type=notify
//	FileDescriptorStoreMax=8
//
// On its first use an FDStore takes every descriptor systemd passed to the process (LISTEN_FDS,
// LISTEN_FDNAMES: the fd store's and a socket unit's alike, which is why [Listeners] and
// [NamedListeners] then return none), and unsets those variables so that child processes do not
// claim them. The zero value is ready to use; an FDStore is safe for concurrent use and must not
// be copied after first use. Outside systemd (NOTIFY_SOCKET unset) it listens and stores nothing.
type FDStore struct {
	mu        sync.Mutex
	taken     bool
	inherited map[string][]*os.File // passed by systemd, not yet claimed
	claimed   map[string]bool
}

// take moves the descriptors systemd passed into s.inherited, once.
func (s *FDStore) take() {
	if s.taken {
		return
	}
	s.taken = true
	s.inherited = make(map[string][]*os.File)
	s.claimed = make(map[string]bool)
	for _, f := range activation.Files(true) {
		s.inherited[f.Name()] = append(s.inherited[f.Name()], f)
	}
}

// Listen returns the listener named name. If systemd passed the process a listening socket under
// that name (from the fd store after a restart, or from a socket unit's FileDescriptorName=) on
// the same network and address, that socket is returned, with every connection already waiting
// in it; otherwise Listen listens on network and address (net.Listen: "tcp", "tcp4", "tcp6",
// "unix" or "unixpacket"). Either way the listener is then stored
// under name ([Store]), so that the next start gets it back. Descriptors passed under name that
// are not that socket (the address changed in the configuration, or it is not a listening
// socket) are closed and removed from the store first ([Unstore]), so they are not passed again.
//
// Each name can be listened on once per FDStore ([ErrNameInUse]); names follow systemd's rules
// ([ErrBadName]). On error nothing is left open: a failure to store the listener closes it and is
// returned, naming the socket, because a service that asked for the store and cannot use it would
// refuse connections at its next restart.
func (s *FDStore) Listen(network, address, name string) (net.Listener, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.take()
	if s.claimed[name] {
		return nil, fmt.Errorf("gracesystemd: listen %q: %w", name, ErrNameInUse)
	}
	passed := s.inherited[name]
	delete(s.inherited, name)
	var l net.Listener
	var lid fileID
	var stale bool
	for _, f := range passed {
		id, idOK := idOf(f)
		switch {
		case l == nil:
			if pl, err := net.FileListener(f); err == nil && matches(pl.Addr(), network, address) {
				l, lid = pl, id
			} else {
				if err == nil {
					pl.Close()
				}
				stale = true
			}
		case !idOK || id != lid:
			stale = true
		}
		f.Close() // FileListener made its own copy
	}
	if l == nil {
		var err error
		if l, err = net.Listen(network, address); err != nil {
			if stale {
				err = errors.Join(err, Unstore(name))
			}
			return nil, fmt.Errorf("gracesystemd: listen %q: %w", name, err)
		}
	}
	if stale {
		if err := Unstore(name); err != nil {
			l.Close()
			return nil, err
		}
	}
	sc, ok := l.(syscall.Conn)
	if !ok { // every listener net.Listen and net.FileListener return has one
		l.Close()
		return nil, fmt.Errorf("gracesystemd: listen %q: %T has no descriptor to store", name, l)
	}
	if err := Store(name, sc); err != nil {
		l.Close()
		return nil, err
	}
	s.claimed[name] = true
	return l, nil
}

// matches reports whether a passed socket's address is the one asked for.
func matches(got net.Addr, network, address string) bool {
	switch network {
	case "tcp", "tcp4", "tcp6":
		g, ok := got.(*net.TCPAddr)
		if !ok {
			return false
		}
		want, err := net.ResolveTCPAddr(network, address)
		if err != nil || (want.Port != 0 && want.Port != g.Port) {
			return false
		}
		if want.IP == nil || want.IP.IsUnspecified() {
			return g.IP.IsUnspecified()
		}
		return want.IP.Equal(g.IP)
	case "unix", "unixpacket":
		g, ok := got.(*net.UnixAddr)
		return ok && g.Net == network && g.Name == address
	}
	return false
}

// Remove drops name from systemd's store ([Unstore]) and closes the descriptors passed under it
// that Listen has not taken, so that the service's next start is not handed the socket; name may
// then be listened on again. It does not close a listener Listen returned: the caller closes it.
// Use it when the service stops using a listener for good.
func (s *FDStore) Remove(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.take()
	for _, f := range s.inherited[name] {
		f.Close()
	}
	delete(s.inherited, name)
	delete(s.claimed, name)
	return Unstore(name)
}

// Prune drops from systemd's store every name systemd passed that [FDStore.Listen] has not taken,
// and closes those descriptors: call it once the service has made all its listeners, so that a
// version that no longer listens under a name does not keep its socket (and the connections
// queued on it) alive. It returns the names it dropped, in order, and the errors of the
// removals joined; a name whose removal failed is still dropped here.
func (s *FDStore) Prune() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.take()
	var names []string
	for name := range s.inherited {
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		for _, f := range s.inherited[name] {
			f.Close()
		}
		delete(s.inherited, name)
		if checkName(name) == nil { // systemd names unnamed descriptors "unknown"; never invalid
			errs = append(errs, Unstore(name))
		}
	}
	return names, errors.Join(errs...)
}
