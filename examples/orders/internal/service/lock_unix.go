//go:build unix

package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in the data directory whose lock a running service holds.
const LockFile = ".orders.lock"

// ErrDataDirInUse: another process holds the data directory.
var ErrDataDirInUse = errors.New("data dir is in use by another orders process")

// dirLock holds an exclusive lock on the data directory from its start to its stop, so that two
// processes never open the same SQLite file and NATS store. The lock (flock) is released by the
// kernel if the process dies, so a crash leaves nothing stale.
type dirLock struct {
	dir string
	f   *os.File
}

// Start takes the lock, or fails at once naming the holder's PID.
func (l *dirLock) Start(context.Context) error {
	path := filepath.Join(l.dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		holder := strings.TrimSpace(string(b))
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%w: %q is locked by pid %s (%s): stop that process or give this one another --data-dir",
				ErrDataDirInUse, l.dir, holder, path)
		}
		return fmt.Errorf("lock data dir %q: %w", l.dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	l.f = f
	return nil
}

// Stop releases the lock, after every component that uses the data directory has stopped.
func (l *dirLock) Stop(context.Context) error {
	if l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the only descriptor releases the flock
	l.f = nil
	return err
}
