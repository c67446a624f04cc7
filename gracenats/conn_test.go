package gracenats_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go"
)

// TestDrainFinishesSubscriptions: messages a subscription has received but not yet handled when
// the stop comes are all handled before the connection closes, and the publishes still buffered
// reach the server.
func TestDrainFinishesSubscriptions(t *testing.T) {
	const n = 300
	url := serverURL(t)
	subject := uniqueName("drain.")
	var closedByUser atomic.Bool
	nc := connect(t, url, nats.ClosedHandler(func(*nats.Conn) { closedByUser.Store(true) }))
	conn := gracenats.NewConn(nc)

	var handled atomic.Int32
	received := make(chan struct{})
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		if handled.Load() == 0 {
			<-received // hold the first message until everything is queued in the client
		}
		time.Sleep(time.Millisecond)
		handled.Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// Another connection watches what this one publishes during the stop.
	watcher := connect(t, url)
	var echoed atomic.Int32
	echoSubject := uniqueName("echo.")
	if _, err := watcher.Subscribe(echoSubject, func(*nats.Msg) { echoed.Add(1) }); err != nil {
		t.Fatal(err)
	}
	watcher.Flush()

	r := testkit.RunComponents(t, component{Name: "nats", C: conn})
	pub := connect(t, url)
	for i := range n {
		pub.Publish(subject, []byte(strconv.Itoa(i)))
	}
	pub.Flush()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if msgs, _, _ := sub.Pending(); msgs >= n-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("messages not queued in the client after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range n {
		nc.Publish(echoSubject, []byte(strconv.Itoa(i))) // buffered in the client
	}
	r.App.Stop("test")
	close(received)
	rep := r.Wait(t).Report
	if rep.ExitCode != grace.ExitClean {
		t.Fatalf("exit %d:\n%s", rep.ExitCode, rep)
	}
	if got := handled.Load(); got != n {
		t.Errorf("subscription handled %d of %d messages received before the stop", got, n)
	}
	if !closedByUser.Load() {
		t.Error("the connection's own closed handler did not run before Stop returned")
	}
	deadline = time.Now().Add(5 * time.Second)
	for echoed.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := echoed.Load(); got != n {
		t.Errorf("%d of %d publishes buffered at the stop reached the server", got, n)
	}
}

// TestDrainBoundedByDeadline: a subscription handler that takes longer than the stop's limit
// cannot hold the stop: the connection is closed at the cut (grace.CutAt), within the limit, and
// the stop reports it.
func TestDrainBoundedByDeadline(t *testing.T) {
	const limit = 300 * time.Millisecond
	url := serverURL(t)
	nc := connect(t, url) // nats' own DrainTimeout is 30 s: the limit must win
	conn := gracenats.NewConn(nc)
	subject, entered := slowSubscriber(t, nc)
	r := testkit.RunComponents(t, component{Name: "nats", C: conn, Opts: []grace.ComponentOption{grace.StopTimeout(limit)}})
	nc.Publish(subject, nil)
	await(t, entered, "the handler to get the message")
	begin := time.Now()
	r.App.Stop("test")
	rep := r.Wait(t).Report
	if took := time.Since(begin); took > limit+time.Second {
		t.Errorf("stop took %v, limit %v", took, limit)
	}
	if cr := rep.Component("nats"); cr.TimedOut || cr.Stop >= limit || !cutMessages(cr.Err) || !nc.IsClosed() {
		t.Errorf("nats %s in %v (timed out %v, error %v), closed %v; want cut off before the limit, reported, and closed:\n%s",
			cr.State, cr.Stop, cr.TimedOut, cr.Err, nc.IsClosed(), rep)
	}
}

// TestDrainTimeoutReported: when nats' own DrainTimeout is shorter than the stop's limit, it ends
// the drain, and Stop reports nats.ErrDrainTimeout.
func TestDrainTimeoutReported(t *testing.T) {
	url := serverURL(t)
	nc := connect(t, url, nats.DrainTimeout(200*time.Millisecond))
	conn := gracenats.NewConn(nc)
	subject, entered := slowSubscriber(t, nc)
	r := testkit.RunComponents(t, component{Name: "nats", C: conn, Opts: []grace.ComponentOption{grace.StopTimeout(10 * time.Second)}})
	nc.Publish(subject, nil)
	await(t, entered, "the handler to get the message")
	r.App.Stop("test")
	rep := r.Wait(t).Report
	cr := rep.Component("nats")
	if !errors.Is(cr.Err, nats.ErrDrainTimeout) || cr.TimedOut || cr.Stop > 5*time.Second {
		t.Errorf("nats %s in %v, error %v; want nats' drain timeout reported well before the limit", cr.State, cr.Stop, cr.Err)
	}
}

func TestStartFailsOnClosedConn(t *testing.T) {
	nc := connect(t, serverURL(t))
	nc.Close()
	app := grace.New(grace.WithSignals(), grace.WithLogger(testkit.QuietLogger()))
	app.Add("nats", gracenats.NewConn(nc))
	rep, err := app.Run(context.Background())
	if rep.ExitCode != grace.ExitStartFailed || err == nil {
		t.Fatalf("exit %d, error %v; want a failed start", rep.ExitCode, err)
	}
	t.Logf("start error: %v", err)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var _ = context.Background
