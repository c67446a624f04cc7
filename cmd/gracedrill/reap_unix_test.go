//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone waits up to 3 s until no process has the id in pidfile. A child that was not reaped
// stays a zombie, which signal 0 still finds.
func gone(t *testing.T, pidfile string) {
	t.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("the service never wrote its pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still exists after the drill returned (signal 0: %v)", pid, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNeverReadyServiceIsReapedWithItsGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidfile, childPid := filepath.Join(dir, "service.pid"), filepath.Join(dir, "child.pid")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The service starts a grandchild of its own: the drill must kill the whole process group.
	script := "sleep 300 & echo $! > " + childPid + "; exec " + exe + " testserver never --addr 127.0.0.1:$PORT --pidfile " + pidfile
	code, out := runCLI("run", "--url", freeURL(t), "--start-timeout", "700ms", "--", "/bin/sh", "-c", script)
	if code != exitFail || !strings.Contains(out, "service not ready after 700ms") || !strings.Contains(out, "503") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	gone(t, pidfile)
	gone(t, childPid)
}

func TestRolloutNeverReadyInstanceIsReaped(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "service.pid")
	code, out := runCLI(append([]string{"rollout", "--start-timeout", "500ms", "--instances", "1"},
		testServerCmd(t, "never", "--pidfile", pidfile)...)...)
	if code != exitFail || !strings.Contains(out, "instance 1") || !strings.Contains(out, "not ready") {
		t.Fatalf("exit %d, output %q", code, out)
	}
	gone(t, pidfile)
}

func TestSlowExitIsKilledAfterBudget(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "service.pid")
	// A drain longer than the budget: the drill kills the service and fails.
	res := gracedrill(t, append(runArgs(t, "--budget", "400ms"), testServerCmd(t, "careful", "--drain", "5s", "--pidfile", pidfile)...)...)
	r := res.report
	if res.code != exitFail || len(r.Stops) != 1 || !r.Stops[0].Killed || r.ExitCode != -1 {
		t.Fatalf("exit %d, stops %+v: want the service killed after its budget", res.code, r.Stops)
	}
	if !strings.Contains(strings.Join(r.Reasons, "\n"), "did not exit within its 400ms budget") {
		t.Errorf("reasons %q", r.Reasons)
	}
	gone(t, pidfile)
}
