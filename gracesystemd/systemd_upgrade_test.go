package gracesystemd_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/sdcontainer"
	"github.com/gracekit/grace/internal/testkit"
)

// In-place upgrades (graceupgrade: SIGHUP starts a successor that takes the listening socket over)
// of a service that also has a gracesystemd Notifier, under a real systemd, with the load from the
// host: systemd must follow the main PID to each successor and never see the service stop.

// upgradeUnit is a unit of type typ running the service in upgrade mode on addr. The old
// process keeps connections it accepted but has no request from for 2 s rather than gracehttp's
// default 250 ms (WithLinger): its successor already serves, so waiting costs nothing, and on a
// machine this busy a client may take longer than 250 ms between its connect and its request.
func upgradeUnit(typ, bin, addr, extra string) string {
	return fmt.Sprintf(`[Unit]
StartLimitIntervalSec=0
[Service]
Type=%s
%s
ExecStart=%s -source upgrade -listen %s -linger 2s
`, typ, extra, bin, addr)
}

// waitingStop is the ExecStop= a unit whose main process may be a graceupgrade successor needs:
// that process is not systemd's child, and systemd 257 does not wait for it to exit on a stop — it
// follows SIGTERM with SIGKILL at once (the journal says "Supervising process N which is not our
// child"), cutting the drain short. ExecStop= sends the SIGTERM itself and waits for the exit;
// systemd waits for ExecStop= (within TimeoutStopSec=).
const waitingStop = `ExecStop=/bin/sh -c 'kill -TERM $MAINPID; while kill -0 $MAINPID 2>/dev/null; do sleep 0.05; done'`

// upgraded waits until systemd names a new main process (not old), that process answers on addr,
// and old has exited; it returns the new main PID.
func upgraded(t *testing.T, c *sdcontainer.Container, unit, addr, old string) string {
	t.Helper()
	pid := untilProp(t, c, unit, "MainPID", "the successor's PID", func(v string) bool { return v != old && v != "0" })
	deadline := time.Now().Add(sdWaitFor)
	for get(t, "http://"+addr+"/") != "pid="+pid { // the parent may still take a connection or two
		if time.Now().After(deadline) {
			t.Fatalf("MainPID %s never answered on %s\n%s", pid, addr, c.Journal(unit))
		}
		time.Sleep(pollContainer)
	}
	for {
		if _, err := c.Output("kill", "-0", old); err != nil {
			break // gone
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old process %s is still running after its successor %s took over\n%s", old, pid, c.Journal(unit))
		}
		time.Sleep(pollContainer)
	}
	if st := c.Show(t, unit, "ActiveState"); st != "active" {
		t.Fatalf("ActiveState = %s after the upgrade to %s, want active\n%s", st, pid, c.Journal(unit))
	}
	return pid
}

// TestRealUpgradeNotify: a Type=notify unit whose ExecReload sends SIGHUP, with NotifyAccess=all
// (so systemd hears every process of the unit: the old process's Notifier must keep quiet once it
// has handed over, or its STOPPING=1 would stop the service). After each of five upgrades under
// 1,000 req/s, `systemctl show -p MainPID` names the successor (graceupgrade's MAINPID=), the
// successor answers, the old process is gone, the unit stayed active — and no request failed.
func TestRealUpgradeNotify(t *testing.T) {
	// Not parallel: the tests under load run one at a time.
	c, unit, addr := startServing(t, func(bin, addr string) string {
		return upgradeUnit("notify", bin, addr, "NotifyAccess=all\nExecReload=/bin/sh -c 'kill -HUP $MAINPID'")
	})
	pid := c.Show(t, unit, "MainPID")
	load := testkit.StartLoad(t, "http://"+addr+"/", loadRate)
	for i := range 5 {
		start := time.Now()
		c.Systemctl(t, "reload", unit)
		pid = upgraded(t, c, unit, addr, pid)
		t.Logf("upgrade %d: MainPID %s, %v from the signal to the old process gone", i+1, pid, time.Since(start).Round(time.Millisecond))
	}
	res := endLoad(t, load)
	if res.Bodies["pid="+pid] == 0 {
		t.Errorf("no answer from the last successor %s: %v", pid, res.Bodies)
	}
}

// TestRealUpgradeNotifyReload: a Type=notify-reload unit (NotifyAccess=main, the default: systemd
// takes messages from the main process only); `systemctl reload` sends SIGHUP and
// waits for RELOADING=1 … READY=1 (graceupgrade sends both, the READY=1 with the successor's
// MAINPID=). Ten reloads under 1,000 req/s: each returns with MainPID naming the successor, and
// no request failed.
func TestRealUpgradeNotifyReload(t *testing.T) {
	// Not parallel: the tests under load run one at a time.
	c, unit, addr := startServing(t, func(bin, addr string) string { return upgradeUnit("notify-reload", bin, addr, "") })
	pid := c.Show(t, unit, "MainPID")
	pids := map[string]bool{pid: true}
	load := testkit.StartLoad(t, "http://"+addr+"/", loadRate)
	for i := range 10 {
		start := time.Now()
		c.Systemctl(t, "reload", unit) // returns at READY=1
		took := time.Since(start)
		got := c.Show(t, unit, "MainPID")
		if pids[got] {
			t.Fatalf("reload %d returned with MainPID %s, not a successor\n%s", i+1, got, c.Journal(unit))
		}
		pids[got] = true
		pid = upgraded(t, c, unit, addr, pid)
		t.Logf("reload %d: MainPID %s, systemctl reload took %v, %v until the old process was gone", i+1, pid, took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	endLoad(t, load)
}

// TestRealUpgradeAndRestart: one unit, both ways of replacing the process under 1,000 req/s —
// graceupgrade's successors on `systemctl reload` (Type=notify-reload) and plain `systemctl
// restart`s, the listener kept in systemd's fd store (gracesystemd.Store) and taken back by name by
// graceupgrade at each start. Three of each, alternating: 0 failed, the same socket throughout.
func TestRealUpgradeAndRestart(t *testing.T) {
	// Not parallel: the tests under load run one at a time.
	c, unit, addr := startServing(t, func(bin, addr string) string {
		return upgradeUnit("notify-reload", bin, addr+" -store", "FileDescriptorStoreMax=4\n"+waitingStop)
	})
	inode := listenInode(t, addr)
	pid := c.Show(t, unit, "MainPID")
	load := testkit.StartLoad(t, "http://"+addr+"/", loadRate)
	for i := range 3 {
		c.Systemctl(t, "reload", unit)
		pid = upgraded(t, c, unit, addr, pid)
		c.Systemctl(t, "restart", unit)
		next := c.Show(t, unit, "MainPID")
		if next == pid {
			t.Fatalf("round %d: restart left MainPID %s", i+1, pid)
		}
		pid = next
		if n := c.Show(t, unit, "NFileDescriptorStore"); n != "1" {
			t.Fatalf("round %d: NFileDescriptorStore = %s, want 1\n%s", i+1, n, c.Journal(unit))
		}
	}
	res := endLoad(t, load)
	if got := listenInode(t, addr); got != inode { // one socket through all of it
		t.Errorf("the listening socket changed (inode %s, was %s)", got, inode)
	}
	if len(res.Bodies) != 7 {
		t.Errorf("answers came from %d processes, want 7 (started, then 3 successors and 3 restarts): %v", len(res.Bodies), res.Bodies)
	}
}
