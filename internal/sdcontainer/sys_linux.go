package sdcontainer

import "syscall"

// terminate asks systemd-nspawn to power its container off.
var terminate = syscall.SIGTERM

// procAttr puts systemd-nspawn in a process group of its own (so a terminal's ^C reaches the test,
// not it) and has the kernel send it SIGTERM — a clean poweroff — if the test process dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }

func platformOK() error { return nil }

func killPID(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
