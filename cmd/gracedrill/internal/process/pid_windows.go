//go:build windows

package process

import (
	"fmt"
	"os"
)

// SignalPID sends sig to a process the drill did not start; on Windows only Kill exists.
func SignalPID(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("signal %v to process %d: %w", sig, pid, err)
	}
	if err := p.Signal(sig); err != nil {
		return fmt.Errorf("signal %v to process %d: %w", sig, pid, err)
	}
	return nil
}

// Alive reports whether a process with the id exists.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// ShellArgv runs command through the system shell.
func ShellArgv(command string) []string { return []string{"cmd", "/C", command} }
