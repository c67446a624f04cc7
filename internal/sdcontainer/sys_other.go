//go:build !linux

package sdcontainer

import (
	"fmt"
	"os"
	"syscall"
)

var terminate = os.Kill

func procAttr() *syscall.SysProcAttr { return nil }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

func platformOK() error { return fmt.Errorf("%w: systemd-nspawn runs on Linux only", ErrUnavailable) }

func killPID(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
