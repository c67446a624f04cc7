package testkit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/leakcheck"
	"github.com/gracekit/grace/internal/testkit"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(childMain(mode))
	}
	leakcheck.Main(m)
}

// fakeT stands in for the *testing.T a helper is given, to see the helper fail: Fatal ends the
// helper's goroutine as the real one does, and the message is kept.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// failures runs helper with a fakeT, then its cleanups (last first), and returns how it failed.
func failures(t *testing.T, helper func(testing.TB)) string {
	f := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		helper(f)
	}()
	testkit.Await(t, done, 2*testkit.StopWait, "the helper to return")
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return strings.Join(f.failures, "\n")
}

func TestEnvReturnsTheValueOrFails(t *testing.T) {
	t.Setenv("GRACE_TESTKIT_X", "127.0.0.1:1")
	if got := testkit.Env(t, "GRACE_TESTKIT_X"); got != "127.0.0.1:1" {
		t.Fatalf("Env = %q", got)
	}
	t.Setenv("GRACE_TESTKIT_X", "")
	t.Setenv("CI", "true")
	msg := failures(t, func(tb testing.TB) { testkit.Env(tb, "GRACE_TESTKIT_X") })
	if !strings.Contains(msg, "GRACE_TESTKIT_X is not set") || !strings.Contains(msg, "scripts/services") {
		t.Fatalf("Env with the variable unset failed with %q", msg)
	}
}

func TestRecvAwaitUntil(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if v := testkit.Recv(t, ch, time.Second, "a value"); v != 7 {
		t.Fatalf("Recv = %d", v)
	}
	if msg := failures(t, func(tb testing.TB) { testkit.Recv(tb, ch, 30*time.Millisecond, "a second value") }); msg != "waited 30ms for a second value" {
		t.Fatalf("Recv on an empty channel failed with %q", msg)
	}
	sig := make(chan struct{})
	if msg := failures(t, func(tb testing.TB) { testkit.Await(tb, sig, 30*time.Millisecond, "the signal") }); msg != "waited 30ms for the signal" {
		t.Fatalf("Await on an open channel failed with %q", msg)
	}
	close(sig)
	testkit.Await(t, sig, time.Second, "the signal")

	calls := 0
	testkit.Until(t, time.Second, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("Until called cond %d times, want it to stop at the first true", calls)
	}
	begin := time.Now()
	if msg := failures(t, func(tb testing.TB) { testkit.Until(tb, 50*time.Millisecond, "never", func() bool { return false }) }); msg != "waited 50ms for never" {
		t.Fatalf("Until failed with %q", msg)
	}
	if d := time.Since(begin); d < 50*time.Millisecond {
		t.Fatalf("Until gave up after %v, before its deadline", d)
	}
}

func TestRunAndStopWaitsForReadyAndTheExtraChannels(t *testing.T) {
	var stopped []string
	var mu sync.Mutex
	record := func(name string) func(context.Context) error {
		return func(context.Context) error { mu.Lock(); stopped = append(stopped, name); mu.Unlock(); return nil }
	}
	warm := make(chan struct{})
	app := testkit.NewApp()
	app.Add("db", grace.Hook{OnStop: record("db")})
	app.Add("worker", grace.RunFunc(func(ctx context.Context) error {
		time.Sleep(20 * time.Millisecond) // ready long before this
		close(warm)
		<-ctx.Done()
		return nil
	}), grace.StopTimeout(time.Second))
	rep, err := testkit.RunAndStop(t, app, warm)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	if rep.Trigger.Reason != "test" {
		t.Fatalf("stopped by %v, want the test's stop", rep.Trigger)
	}
	if w := rep.Component("worker"); w.State != grace.StateStopped {
		t.Fatalf("worker %q: the app was stopped before the worker closed warm", w.State)
	}
	if len(stopped) != 1 || stopped[0] != "db" {
		t.Fatalf("stopped %v", stopped)
	}
}

func TestReadyFailsWhenTheAppStopsFirst(t *testing.T) {
	boom := errors.New("boom")
	msg := failures(t, func(tb testing.TB) {
		app := testkit.NewApp()
		app.Add("db", grace.Hook{OnStart: func(context.Context) error { return boom }})
		testkit.Run(tb, app).Ready(tb)
	})
	if !strings.Contains(msg, "app stopped before it was ready: start db: boom") {
		t.Fatalf("Ready failed with %q", msg)
	}
	// Ready, then stopped by a failing worker before the channel the test waits on is closed.
	never := make(chan struct{})
	msg = failures(t, func(tb testing.TB) {
		app := testkit.NewApp()
		app.Add("worker", grace.RunFunc(func(context.Context) error {
			time.Sleep(10 * time.Millisecond)
			return boom
		}))
		testkit.Run(tb, app).Ready(tb, never)
	})
	if !strings.Contains(msg, "app stopped before channel 1 of 1 was closed: run worker: boom") {
		t.Fatalf("Ready with a channel never closed failed with %q", msg)
	}
}

func TestRunStopsTheAppWhenTheTestEnds(t *testing.T) {
	var app *grace.App
	var r *testkit.Running
	msg := failures(t, func(tb testing.TB) {
		app = testkit.NewApp()
		app.Add("worker", grace.RunFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }))
		r = testkit.Run(tb, app)
		r.Ready(tb)
		tb.Fatal("the test fails halfway")
	})
	if msg != "the test fails halfway" {
		t.Fatalf("failures %q", msg)
	}
	if app.Phase() != grace.PhaseStopped {
		t.Fatalf("app in phase %v after the test's cleanup, want stopped", app.Phase())
	}
	if res := r.Wait(t); res.Err != nil || res.Report.Trigger.Reason != "test ended" {
		t.Fatalf("Run returned %v, stopped by %v", res.Err, res.Report.Trigger)
	}
	testkit.Await(t, r.Ended(), time.Second, "Ended to be closed")
}

func TestStoppedWithin(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	app := testkit.NewApp()
	app.Add("quick", grace.Hook{})
	app.Add("stuck", grace.StopFunc(func(context.Context) error { <-release; return nil }), grace.StopTimeout(50*time.Millisecond))
	rep, _ := testkit.RunAndStop(t, app)
	if c := testkit.StoppedWithin(t, rep, "quick", time.Second); c.Name != "quick" {
		t.Fatalf("StoppedWithin returned %q's report", c.Name)
	}
	if msg := failures(t, func(tb testing.TB) { testkit.StoppedWithin(tb, rep, "stuck", time.Second) }); !strings.Contains(msg, `stuck: state "abandoned"`) {
		t.Fatalf("StoppedWithin of an abandoned component failed with %q", msg)
	}
	if msg := failures(t, func(tb testing.TB) { testkit.StoppedWithin(tb, rep, "quick", 0) }); !strings.Contains(msg, "want stopped within its limit 0s") {
		t.Fatalf("StoppedWithin over the limit failed with %q", msg)
	}
	if msg := failures(t, func(tb testing.TB) { testkit.StoppedWithin(tb, rep, "none", time.Second) }); !strings.Contains(msg, `no component "none"`) {
		t.Fatalf("StoppedWithin of an unknown component failed with %q", msg)
	}
}

func TestClosedAddrRefuses(t *testing.T) {
	addr := testkit.ClosedAddr(t)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("dial %s: %v, want refused", addr, err)
	}
}

func TestListenerReportsItsClose(t *testing.T) {
	l := testkit.Listen(t)
	if l.IsClosed() {
		t.Fatal("closed at once")
	}
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	go l.Close()
	testkit.Await(t, l.Closed(), time.Second, "Closed after Close")
	if !l.IsClosed() {
		t.Fatal("IsClosed false after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
}

// echoServer answers every connection by echoing it, until the test ends.
func echoServer(t *testing.T) string {
	l := testkit.Listen(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(c, c); c.Close() })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

func TestProxyForwardsUntilTheBlackholeThenHoldsTheConnection(t *testing.T) {
	px := testkit.StartProxy(t, echoServer(t))
	c, err := net.Dial("tcp", px.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip := func(msg string) (string, error) {
		if _, err := c.Write([]byte(msg)); err != nil {
			return "", err
		}
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, len(msg))
		n, err := io.ReadFull(c, buf)
		return string(buf[:n]), err
	}
	if got, err := roundTrip("ping"); got != "ping" || err != nil {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	px.Blackhole()
	got, err := roundTrip("lost")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || got != "" {
		t.Fatalf("after Blackhole: %q, %v; want no answer and the connection still open", got, err)
	}
	// A new connection is accepted too, and gets nothing either.
	c2, err := net.Dial("tcp", px.Addr())
	if err != nil {
		t.Fatalf("dial during the partition: %v", err)
	}
	defer c2.Close()
	px.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("read after Close: %v, want the connection closed at once", err)
	}
	px.Close() // twice is fine
}
