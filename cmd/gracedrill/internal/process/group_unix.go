//go:build unix

package process

import (
	"os"
	"syscall"
)

func newGroupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup sends SIGKILL to the process group the service leads. Errors (the group is gone)
// mean there is nothing left to kill.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
