package gracesystemd_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/sdcontainer"
)

// The Notifier under a real systemd: what systemd makes of READY=1, STATUS=, STOPPING=1,
// WATCHDOG=1 and EXTEND_TIMEOUT_USEC=, read back with `systemctl show`. (The exact datagrams and
// their order are checked against a notify socket of the tests' own in notifier_test.go.)

// notifyUnit is a Type=notify unit running the service (no HTTP server) with args.
func notifyUnit(bin, service, args string) string {
	return fmt.Sprintf("[Service]\nType=notify\nTimeoutStartSec=60\n%s\nExecStart=%s %s\n", service, bin, args)
}

// startNotify starts a Type=notify unit running the service (no HTTP server) with args, under a
// name unique to the test (see startServing).
func startNotify(t *testing.T, service, args string) (*sdcontainer.Container, string) {
	t.Helper()
	c, unit, _ := startServing(t, func(bin, _ string) string { return notifyUnit(bin, service, args) })
	return c, unit
}

// succeeded fails t, with the unit's journal, unless systemd says the unit's last run succeeded.
func succeeded(t *testing.T, c *sdcontainer.Container, unit string) {
	t.Helper()
	if got := c.Show(t, unit, "Result"); got != "success" {
		t.Errorf("Result = %q, want success\n%s", got, c.Journal(unit))
	}
}

// TestRealReady: `systemctl start` of a Type=notify unit returns once the Notifier sent READY=1
// (without it the start would time out and fail), and systemd shows the ready status.
func TestRealReady(t *testing.T) {
	t.Parallel()
	c, unit := startNotify(t, "", "")
	for prop, want := range map[string]string{"ActiveState": "active", "SubState": "running", "StatusText": "ready"} {
		if got := c.Show(t, unit, prop); got != want {
			t.Errorf("%s = %q, want %q\n%s", prop, got, want, c.Journal(unit))
		}
	}
	c.Systemctl(t, "stop", unit)
	succeeded(t, c, unit)
}

// TestRealStopping: a service told to stop by a signal that does not come from a stop job
// (`systemctl kill`) says STOPPING=1, so systemd shows it deactivating — not active — while its
// components stop, with the status naming what is still stopping; it ends cleanly.
func TestRealStopping(t *testing.T) {
	t.Parallel()
	c, unit := startNotify(t, "TimeoutStopSec=60", "-stop-delay 3s")
	c.Systemctl(t, "kill", "--kill-whom=main", "--signal=SIGTERM", unit)
	untilProp(t, c, unit, "ActiveState", "deactivating (STOPPING=1 received)", equals("deactivating"))
	status := untilProp(t, c, unit, "StatusText", "the stopping status", func(s string) bool {
		return strings.HasPrefix(s, "stopping components, waiting for")
	})
	if !strings.Contains(status, "slow") {
		t.Errorf("stopping status %q does not name the slow component", status)
	}
	untilProp(t, c, unit, "ActiveState", "inactive", equals("inactive"))
	succeeded(t, c, unit)
}

// TestRealWatchdog: with WatchdogSec=1s systemd kills a service that stays silent for a second;
// the Notifier's WATCHDOG=1 every half second keeps it running, and systemd records the pings.
func TestRealWatchdog(t *testing.T) {
	t.Parallel()
	c, unit := startNotify(t, "WatchdogSec=1s", "")
	// Four pings seen: at least 1.5 s, past the one second after which systemd would kill it.
	seen := map[string]bool{}
	untilProp(t, c, unit, "WatchdogTimestampMonotonic", "updated by four pings", func(v string) bool {
		if v != "0" {
			seen[v] = true
		}
		return len(seen) >= 4
	})
	for prop, want := range map[string]string{"ActiveState": "active", "Result": "success", "NRestarts": "0"} {
		if got := c.Show(t, unit, prop); got != want {
			t.Errorf("%s = %q, want %q\n%s", prop, got, want, c.Journal(unit))
		}
	}
}

// TestRealExtendTimeout: TimeoutStopSec=3s but the service's stop takes 5 s; the Notifier, told
// the stop timeout, sends EXTEND_TIMEOUT_USEC=4s (first two seconds before the timeout, then every
// two seconds) and systemd waits for the clean exit instead of killing it at three seconds
// (Result=timeout). The margins absorb a busy machine; the test runs alone in the container
// (not in parallel), since a systemd slow to read its notify socket under load let the timeout win.
func TestRealExtendTimeout(t *testing.T) {
	c, unit := startNotify(t, "TimeoutStopSec=3s", "-stop-delay 5s -timeout-stop-sec 3s -extend 4s")
	start := time.Now()
	c.Systemctl(t, "stop", unit)
	took := time.Since(start)
	journal := c.Journal(unit)
	succeeded(t, c, unit)
	if strings.Contains(journal, "timed out") || strings.Contains(journal, "Killing") {
		t.Errorf("systemd timed the stop out:\n%s", journal)
	}
	if took < 5*time.Second {
		t.Errorf("the stop took %v, less than the service's 5 s: it did not run to its end", took)
	}
}
