//go:build windows

package process

import (
	"os"
	"syscall"
)

func newGroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// killGroup kills the service's main process; Windows has no process-group kill in the
// standard library.
func killGroup(p *os.Process) { _ = p.Kill() }
