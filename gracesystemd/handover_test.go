//go:build unix

package gracesystemd_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesystemd"
	"github.com/gracekit/grace/graceupgrade"
	"github.com/gracekit/grace/internal/testkit"
)

// TestNotifierSilentAfterHandover: a process that stops because its successor took the service
// over (graceupgrade's stop reason) says nothing more — no STOPPING=1, which under
// NotifyAccess=all would tell systemd the service itself is stopping, no status, no watchdog ping,
// no extension — even through a stop that outlasts the stop timeout; its Run ends with a notify
// barrier, returning only once the service manager has confirmed it.
func TestNotifierSilentAfterHandover(t *testing.T) {
	sock := listenNotify(t, false)
	t.Setenv("WATCHDOG_USEC", "100000") // a ping every 50 ms while it speaks
	stopped := make(gate)
	app := newApp()
	n := gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(100*time.Millisecond), gracesystemd.WithExtendTimeout(100*time.Millisecond))
	app.Add("systemd", n, grace.StopsLast())
	app.Add("worker", grace.Hook{OnStop: stopped.wait})
	run := testkit.Run(t, app)
	sock.expectReady(isWatchdog)
	app.Stop(graceupgrade.StopReason + ": successor 42 ready")
	testkit.Await(t, app.Await(grace.PhaseStopping), waitFor, "the stop")
	var got []string
	for _, m := range sock.drained() { // pings from before the handover may still be queued
		if !isWatchdog(m) {
			got = append(got, m)
		}
	}
	// The stop window: longer than the stop timeout and eight watchdog periods, so an extension
	// and pings would have come by now (one ping may have raced the handover).
	time.Sleep(400 * time.Millisecond)
	close(stopped)
	// The one message left is the barrier: the Run waits until the service manager — here the
	// test — has read everything before it and closed the pipe it carries.
	pings := 0
	for {
		msg, fds := sock.nextFDs()
		if isWatchdog(msg) {
			pings++
			continue
		}
		if msg != "BARRIER=1" || len(fds) != 1 {
			got = append(got, msg)
			continue
		}
		select {
		case <-run.Ended():
			t.Fatal("the Notifier's Run ended before the barrier was confirmed")
		default:
		}
		syscall.Close(fds[0])
		break
	}
	r := run.Wait(t)
	if r.Err != nil {
		t.Fatalf("run: %v\n%s", r.Err, r.Report)
	}
	got = append(got, sock.drained()...)
	if len(got) > 0 || pings > 1 {
		t.Errorf("after the handover: %q and %d watchdog pings, want nothing but the barrier", got, pings)
	}
}
