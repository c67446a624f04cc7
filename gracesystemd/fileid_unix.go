//go:build unix

package gracesystemd

import (
	"os"
	"syscall"
)

// fileID identifies the open socket behind a descriptor: two descriptors with the same ID are
// copies of one socket (one passed by a socket unit, one from the fd store, say).
type fileID struct{ dev, ino uint64 }

// idOf reads f's ID without f.Fd, which would put the socket in blocking mode.
func idOf(f *os.File) (fileID, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return fileID{}, false
	}
	var st syscall.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil || serr != nil {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // the types differ by platform
}
