package gracesystemd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesystemd"
	"github.com/gracekit/grace/gracetest"
	"github.com/gracekit/grace/internal/testkit"
)

const waitFor = 10 * time.Second // deadline for an awaited event

// notifySocket is the test's side of NOTIFY_SOCKET: a real unixgram socket that records what
// the service sends.
type notifySocket struct {
	t    *testing.T
	conn *net.UnixConn
	addr string
}

// listenNotify opens a notify socket, a file path or (abstract) an "@" name, and points
// NOTIFY_SOCKET at it. Watchdog variables are cleared unless the test sets them after.
func listenNotify(t *testing.T, abstract bool) *notifySocket {
	t.Helper()
	var addr string
	if abstract {
		addr = fmt.Sprintf("@gracesystemd-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	} else {
		dir, err := os.MkdirTemp("", "sd") // short: socket paths are limited to 108 bytes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		addr = filepath.Join(dir, "notify.sock")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen on notify socket %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", addr)
	t.Setenv("WATCHDOG_USEC", "")
	t.Setenv("WATCHDOG_PID", "")
	return &notifySocket{t: t, conn: conn, addr: addr}
}

// next returns the next datagram, failing the test if none comes within waitFor.
func (s *notifySocket) next() string {
	s.t.Helper()
	buf := make([]byte, 4096)
	s.conn.SetReadDeadline(time.Now().Add(waitFor))
	n, _, err := s.conn.ReadFromUnix(buf)
	if err != nil {
		s.t.Fatalf("waiting for a notification: %v", err)
	}
	return string(buf[:n])
}

// expect reads the next datagrams, skipping those for which skip is true, and checks them
// against want in order.
func (s *notifySocket) expect(skip func(string) bool, want ...string) {
	s.t.Helper()
	for _, w := range want {
		got := s.next()
		for skip != nil && skip(got) {
			got = s.next()
		}
		if got != w {
			s.t.Fatalf("notification = %q, want %q", got, w)
		}
	}
}

// expectReady checks that READY=1 comes next, after "STATUS=starting" if the Notifier looked
// before the app was ready (a test without a start gate cannot know).
func (s *notifySocket) expectReady(skip func(string) bool) {
	s.t.Helper()
	got := s.next()
	for skip != nil && skip(got) {
		got = s.next()
	}
	if got == "STATUS=starting" {
		s.expect(skip, "READY=1\nSTATUS=ready")
	} else if got != "READY=1\nSTATUS=ready" {
		s.t.Fatalf("notification = %q, want READY=1", got)
	}
}

// expectStopping checks that STOPPING=1 comes next and then the stopping status; the draining
// status comes between them only if the Notifier looked while the app was draining (a test
// without a drain gate cannot know). draining and stopping are the statuses the test expects.
func (s *notifySocket) expectStopping(skip func(string) bool, draining, stopping string) {
	s.t.Helper()
	got := s.next()
	for skip != nil && skip(got) {
		got = s.next()
	}
	if got == "STOPPING=1\nSTATUS="+draining {
		s.expect(skip, "STATUS="+stopping)
	} else if got != "STOPPING=1\nSTATUS="+stopping {
		s.t.Fatalf("notification = %q, want STOPPING=1 with %q or %q", got, draining, stopping)
	}
}

// expectLast checks the last notifications of a Notifier added to its app as "systemd", skipping
// those for which skip is true: the stopping status once only it is left, then STATUS=stopped.
func (s *notifySocket) expectLast(skip func(string) bool) {
	s.t.Helper()
	s.expect(skip, "STATUS=stopping components, waiting for 1: systemd", "STATUS=stopped")
}

// runToReady adds n to app as "systemd" and then a component called name whose start waits for
// the test to have seen STATUS=starting, runs the app, and checks READY=1 (skipping the
// notifications for which skip is true). It returns the run and the gate the component's stop
// waits on.
func (s *notifySocket) runToReady(app *grace.App, n *gracesystemd.Notifier, name string, skip func(string) bool) (*testkit.Running, gate) {
	s.t.Helper()
	started, stopped := make(gate), make(gate)
	app.Add("systemd", n)
	app.Add(name, grace.Hook{OnStart: started.wait, OnStop: stopped.wait})
	run := testkit.Run(s.t, app)
	s.expect(skip, "STATUS=starting")
	close(started)
	s.expect(skip, "READY=1\nSTATUS=ready")
	return run, stopped
}

// expectEnd is expectLast, then the end of the app's run, which must succeed.
func (s *notifySocket) expectEnd(run *testkit.Running, skip func(string) bool) testkit.Result {
	s.t.Helper()
	s.expectLast(skip)
	r := run.Wait(s.t)
	if r.Err != nil {
		s.t.Fatalf("run: %v\n%s", r.Err, r.Report)
	}
	return r
}

// drainingStatus is the draining status naming trigger, or the plain one for "".
func drainingStatus(trigger string) string {
	if trigger == "" {
		return gracesystemd.StatusDraining
	}
	return "draining (" + trigger + "): not ready, still serving"
}

// drained reports the datagrams already queued, without waiting for more.
func (s *notifySocket) drained() []string {
	var got []string
	buf := make([]byte, 4096)
	for {
		s.conn.SetReadDeadline(time.Now())
		n, _, err := s.conn.ReadFromUnix(buf)
		if err != nil {
			return got
		}
		got = append(got, string(buf[:n]))
	}
}

// newApp returns an app that ignores signals, logs nothing, and has a short budget, so that a
// test that fails while a component waits on a gate still ends its app quickly.
func newApp(opts ...grace.Option) *grace.App {
	return testkit.NewApp(append([]grace.Option{grace.WithBudget(3 * time.Second)}, opts...)...)
}

// gate is a channel the test closes when the service may go on.
type gate chan struct{}

func (g gate) wait(ctx context.Context) error {
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestNotifierSequence checks every message of a run and their order: each step of the app
// waits until the test has seen the message of the step before. Added to the app, the Notifier
// observes its events (no WithObserver): the draining status names the trigger and the stopping
// status what is still to stop. Run on its own, beside the app, it sends the plain statuses.
func TestNotifierSequence(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		for _, added := range []bool{true, false} {
			name := map[bool]string{false: "path", true: "abstract"}[abstract] + map[bool]string{true: "/added", false: "/on its own"}[added]
			t.Run(name, func(t *testing.T) {
				sock := listenNotify(t, abstract)
				started, drained, stopped := make(gate), make(gate), make(gate)
				app := newApp()
				n := gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(time.Hour))
				ran := make(chan error, 1)
				if added {
					app.Add("systemd", n)
				}
				app.Add("worker", grace.Hook{OnStart: started.wait, OnDrain: drained.wait, OnStop: stopped.wait})
				if !added {
					go func() { ran <- n.Run(context.Background()) }()
					sock.expect(nil, "STATUS=starting") // the Notifier has looked before the app runs
				}
				run := testkit.Run(t, app)

				draining, stopping := gracesystemd.StatusDraining, gracesystemd.StatusStopping
				if added {
					sock.expect(nil, "STATUS=starting")
					draining = drainingStatus("stop (test)")
					stopping += ", waiting for 2: worker, systemd"
				}
				close(started)
				sock.expect(nil, "READY=1\nSTATUS=ready")
				app.Stop("test")
				sock.expect(nil, "STOPPING=1\nSTATUS="+draining)
				close(drained)
				sock.expect(nil, "STATUS="+stopping)
				close(stopped)
				if added {
					sock.expectLast(nil)
				} else {
					sock.expect(nil, "STATUS=stopped")
				}
				r := run.Wait(t)
				if r.Err != nil {
					t.Fatalf("run: %v\n%s", r.Err, r.Report)
				}
				if !added {
					if err := testkit.Recv(t, ran, waitFor, "the Notifier's Run to return"); err != nil {
						t.Fatalf("Run on its own: %v", err)
					}
				}
				if rest := sock.drained(); len(rest) > 0 {
					t.Fatalf("unexpected notifications after the stop: %q", rest)
				}
			})
		}
	}
}

// TestNotifierFailedStart: a start that fails never sends READY=1, but still STOPPING=1.
func TestNotifierFailedStart(t *testing.T) {
	sock := listenNotify(t, false)
	started := make(gate)
	app := newApp()
	app.Add("systemd", gracesystemd.New(app))
	app.Add("db", grace.Hook{OnStart: func(ctx context.Context) error {
		if err := started.wait(ctx); err != nil {
			return err
		}
		return errors.New("connection refused")
	}})
	run := testkit.Run(t, app)
	sock.expect(nil, "STATUS=starting")
	close(started)
	sock.expect(nil, "STOPPING=1\nSTATUS=stopping components, waiting for 1: systemd")
	sock.expect(nil, "STATUS=stopped")
	r := run.Wait(t)
	if r.Report.ExitCode != grace.ExitStartFailed {
		t.Fatalf("exit code = %d, want %d", r.Report.ExitCode, grace.ExitStartFailed)
	}
}

func isWatchdog(m string) bool { return m == "WATCHDOG=1" }
func isExtend(m string) bool   { return strings.HasPrefix(m, "EXTEND_TIMEOUT_USEC=") }

// TestNotifierExtendTimeout: a stop that outlasts the stop timeout gets EXTEND_TIMEOUT_USEC,
// first half an extend timeout before the stop timeout, then every half extend timeout; the
// stop holds until the test has seen three.
func TestNotifierExtendTimeout(t *testing.T) {
	sock := listenNotify(t, false)
	const stopTimeout, extend = 150 * time.Millisecond, 100 * time.Millisecond
	app := newApp()
	run, stopped := sock.runToReady(app, gracesystemd.New(app,
		gracesystemd.WithTimeoutStopSec(stopTimeout), gracesystemd.WithExtendTimeout(extend)), "slow", nil)
	stopping := time.Now() // the stop timer cannot start before this
	app.Stop("test")
	sock.expectStopping(nil, drainingStatus("stop (test)"), gracesystemd.StatusStopping+", waiting for 2: slow, systemd")
	sock.expect(nil, "EXTEND_TIMEOUT_USEC=100000")
	if first := time.Since(stopping); first < stopTimeout-extend/2 {
		t.Errorf("first extension after %v, want no earlier than %v", first, stopTimeout-extend/2)
	}
	sock.expect(nil, "EXTEND_TIMEOUT_USEC=100000", "EXTEND_TIMEOUT_USEC=100000")
	close(stopped)
	sock.expectEnd(run, isExtend)
}

// TestNotifierWatchdog: with WATCHDOG_USEC set and WATCHDOG_PID this process, WATCHDOG=1 comes
// at half the interval, from before ready until the end of the stop.
func TestNotifierWatchdog(t *testing.T) {
	sock := listenNotify(t, false)
	const interval = 100 * time.Millisecond
	t.Setenv("WATCHDOG_USEC", strconv.FormatInt(interval.Microseconds(), 10))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	app := newApp()
	run, stopped := sock.runToReady(app, gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(time.Hour)), "worker", isWatchdog)
	var at []time.Time
	for len(at) < 6 {
		if m := sock.next(); m == "WATCHDOG=1" {
			at = append(at, time.Now())
		} else {
			t.Fatalf("unexpected notification %q while ready", m)
		}
	}
	app.Stop("test")
	sock.expectStopping(isWatchdog, drainingStatus("stop (test)"), gracesystemd.StatusStopping+", waiting for 2: worker, systemd")
	sock.expect(nil, "WATCHDOG=1") // still fed while stopping
	close(stopped)
	sock.expectLast(isWatchdog)
	run.Wait(t)

	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i].Sub(at[i-1]))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	if median := gaps[len(gaps)/2]; median < interval/4 || median >= interval {
		t.Fatalf("median watchdog gap %v (gaps %v), want about %v", median, gaps, interval/2)
	}
}

// TestNotifierWatchdogOtherPID: WATCHDOG_PID names another process (the variables were
// inherited), so no WATCHDOG=1 is sent. EXTEND_TIMEOUT_USEC messages every 10 ms serve as the
// clock: ten of them span many watchdog intervals.
func TestNotifierWatchdogOtherPID(t *testing.T) {
	sock := listenNotify(t, false)
	t.Setenv("WATCHDOG_USEC", "10000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	stopped := make(gate)
	app := newApp()
	app.Add("systemd", gracesystemd.New(app,
		gracesystemd.WithTimeoutStopSec(time.Millisecond), gracesystemd.WithExtendTimeout(20*time.Millisecond)))
	app.Add("worker", grace.Hook{OnStop: stopped.wait})
	run := testkit.Run(t, app)
	sock.expectReady(nil)
	app.Stop("test")
	var got []string
	for extends := 0; extends < 10; {
		m := sock.next()
		got = append(got, m)
		if isExtend(m) {
			extends++
		}
	}
	close(stopped)
	run.Wait(t)
	if slices.ContainsFunc(got, isWatchdog) {
		t.Fatalf("WATCHDOG=1 sent although WATCHDOG_PID is another process: %q", got)
	}
}

// TestNotifierBadInput: malformed settings are a configuration error naming them, before
// anything starts; Run on its own refuses them too.
func TestNotifierBadInput(t *testing.T) {
	cases := []struct {
		name, usec, want string
		opts             []gracesystemd.Option
	}{
		{"watchdog usec", "ten", "watchdog settings: error converting WATCHDOG_USEC", nil},
		{"negative watchdog", "-5", "watchdog settings: error WATCHDOG_USEC", nil},
		{"TimeoutStopSec", "", "TimeoutStopSec must be positive, got 0s", []gracesystemd.Option{gracesystemd.WithTimeoutStopSec(0)}},
		{"extend timeout", "", "extend timeout must be positive, got -1s", []gracesystemd.Option{gracesystemd.WithExtendTimeout(-time.Second)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			listenNotify(t, false)
			t.Setenv("WATCHDOG_USEC", c.usec)
			app := newApp()
			app.Add("systemd", gracesystemd.New(app, c.opts...))
			app.Add("worker", grace.Hook{})
			r := testkit.Run(t, app).Wait(t)
			if !errors.Is(r.Err, grace.ErrInvalid) || !strings.Contains(r.Err.Error(), `component "systemd": `+c.want) {
				t.Fatalf("error = %v, want a configuration error naming %q", r.Err, c.want)
			}
			if w := r.Report.Component("worker"); w.State != grace.StateNotStarted {
				t.Fatalf("worker %s despite the bad configuration", w.State)
			}
			if err := gracesystemd.New(app, c.opts...).Run(context.Background()); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Run on its own = %v, want an error naming %q", err, c.want)
			}
		})
	}
	t.Run("nil app", func(t *testing.T) {
		err := gracesystemd.New(nil).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "app must not be nil") {
			t.Fatalf("error = %v", err)
		}
	})
}

// TestNotifierUnreachableSocket: a notify socket nobody listens on does not stop the service;
// the report names the failure.
func TestNotifierUnreachableSocket(t *testing.T) {
	sock := listenNotify(t, false)
	sock.conn.Close()
	os.Remove(sock.addr)
	app := newApp()
	app.Add("systemd", gracesystemd.New(app, gracesystemd.WithLogger(testkit.QuietLogger())))
	app.Add("worker", grace.Hook{})
	run := testkit.Run(t, app)
	testkit.Await(t, app.Await(grace.PhaseReady), waitFor, "the app to be ready")
	app.Stop("test")
	r := run.Wait(t)
	c := r.Report.Component("systemd")
	if c == nil || !strings.Contains(c.Error, "notifications failed") || !strings.Contains(c.Error, sock.addr) {
		t.Fatalf("report does not name the failed notifications:\n%s", r.Report)
	}
}

// TestNotifierOutsideSystemd: without NOTIFY_SOCKET the Notifier is silent and harmless.
func TestNotifierOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	app := newApp()
	app.Add("systemd", gracesystemd.New(app))
	app.Add("worker", grace.Hook{})
	run := testkit.Run(t, app)
	testkit.Await(t, app.Await(grace.PhaseReady), waitFor, "the app to be ready")
	app.Stop("test")
	if r := run.Wait(t); r.Err != nil || r.Report.ExitCode != grace.ExitClean {
		t.Fatalf("run: %v\n%s", r.Err, r.Report)
	}
}

// TestNotifierProgress: the Notifier observes the app it is added to, so the stopping status names what is still to stop
// and is sent again as each component stops. Each stop waits for the test to have seen the
// status before it.
func TestNotifierProgress(t *testing.T) {
	sock := listenNotify(t, false)
	dbStop, httpStop := make(gate), make(gate)
	app := newApp()
	n := gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(time.Hour))
	app.Add("db", grace.Hook{OnStop: dbStop.wait})
	app.Add("http", grace.Hook{OnStop: httpStop.wait})
	app.Add("systemd", n, grace.StopsLast()) // added last, stops last all the same
	run := testkit.Run(t, app)
	sock.expectReady(nil)
	app.Stop("test")
	got := sock.next()
	if got == "STOPPING=1\nSTATUS="+drainingStatus("stop (test)") {
		got = sock.next()
	}
	if want := "STATUS=stopping components, waiting for 3: http, db, systemd"; !strings.HasSuffix(got, want) {
		t.Fatalf("notification = %q, want %q", got, want)
	}
	close(httpStop)
	sock.expect(nil, "STATUS=stopping components, waiting for 2: db, systemd")
	close(dbStop)
	sock.expectEnd(run, nil)
}

// TestNotifierDrainingNamesTheTrigger: the Notifier observes the app it is added to, so
// STOPPING=1 comes with a draining status that names what started the stop — here SIGTERM. The
// drain waits for the test to have seen it, so the Notifier cannot miss the draining phase.
func TestNotifierDrainingNamesTheTrigger(t *testing.T) {
	sock := listenNotify(t, false)
	var sigs gracetest.Signals
	drained, stopped := make(gate), make(gate)
	app := newApp(grace.WithSignals(syscall.SIGTERM), grace.WithSignalSource(&sigs))
	n := gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(time.Hour))
	app.Add("worker", grace.Hook{OnDrain: drained.wait, OnStop: stopped.wait})
	app.Add("systemd", n, grace.StopsLast())
	run := testkit.Run(t, app)
	sock.expectReady(nil)
	sigs.Send(syscall.SIGTERM)
	sock.expect(nil, "STOPPING=1\nSTATUS=draining (signal terminated): not ready, still serving")
	close(drained)
	sock.expect(nil, "STATUS=stopping components, waiting for 2: worker, systemd")
	close(stopped)
	if r := sock.expectEnd(run, nil); r.Report.Trigger.Kind != grace.TriggerSignal {
		t.Fatalf("trigger %v, want the signal", r.Report.Trigger)
	}
}

// TestContracts: a Notifier is the grace interfaces its doc comment names — an Observer above all,
// which is how the app gives it its events.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracesystemd.Notifier{}, (*grace.Validator)(nil), (*grace.Runner)(nil), (*grace.Observer)(nil))
}
