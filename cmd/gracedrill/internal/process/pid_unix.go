//go:build unix

package process

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// SignalPID sends sig to a process the drill did not start.
func SignalPID(pid int, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("signal %v: not a unix signal", sig)
	}
	if err := syscall.Kill(pid, s); err != nil {
		return fmt.Errorf("signal %v to process %d: %w", sig, pid, err)
	}
	return nil
}

// Alive reports whether a process with the id exists (a zombie not yet reaped by its parent
// counts as alive). A process owned by another user is alive too.
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// ShellArgv runs command through the system shell.
func ShellArgv(command string) []string { return []string{"/bin/sh", "-c", command} }
