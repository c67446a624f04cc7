package gracenats_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// service is the usual pair: a connection, and a JetStream consumer that uses it (added after
// it, so it stops first).
func service(t *testing.T, url, stream, consumer string, batch int, h gracenats.Handler, limit time.Duration) (*gracenats.Conn, *gracenats.Consumer, []component) {
	t.Helper()
	nc := connect(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	conn := gracenats.NewConn(nc)
	cons := gracenats.NewConsumer(js, stream, consumer, h, gracenats.WithBatch(batch), gracenats.WithLogger(testkit.QuietLogger()))
	return conn, cons, []component{
		{Name: "nats", C: conn, Opts: []grace.ComponentOption{grace.StopTimeout(limit)}},
		{Name: "orders", C: cons, Opts: []grace.ComponentOption{grace.StopTimeout(limit)}},
	}
}

// handler returns a handler that adds each message to l.
func handler(l *testkit.Ledger) gracenats.Handler {
	return func(_ context.Context, msg jetstream.Msg) error { return l.Add(msg.Data()) }
}

// settled fails t unless the consumer has nothing pending: every message delivered and acked.
func settled(t *testing.T, url, stream, consumer string) {
	t.Helper()
	nc := connect(t, url)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("consumer not settled: %d awaiting ack, %d pending, %d redelivered", info.NumAckPending, info.NumPending, info.NumRedelivered)
	}
}

// TestSoftStopFinishesMessageInHand stops while the handler holds a message: its ctx stays live,
// it is acked, the messages pulled ahead are handed back at once (the next run gets them without
// waiting for the ack wait), and nothing is handled twice.
func TestSoftStopFinishesMessageInHand(t *testing.T) {
	const n = 200
	url, stream, consumer, tl := published(t, n) // redelivery by ack wait would fail the test's deadline
	entered, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	var ctxErr error
	_, _, cs := service(t, url, stream, consumer, 50, func(ctx context.Context, msg jetstream.Msg) error {
		first.Do(func() {
			close(entered)
			<-release
			ctxErr = ctx.Err()
		})
		return tl.Add(msg.Data())
	}, 10*time.Second)
	r := testkit.RunComponents(t, cs...)
	await(t, entered, "the handler to get the first message")
	r.App.Stop("test")
	await(t, r.App.Await(grace.PhaseStopping), "the stop")
	close(release)
	if rep := r.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("exit %d:\n%s", rep.ExitCode, rep)
	}
	if ctxErr != nil {
		t.Errorf("handler's ctx ended at the soft stop: %v", ctxErr)
	}
	_, _, handled, _ := tl.Snapshot()
	if handled[0] < 1 || handled[0] >= n {
		t.Fatalf("first run handled %d messages, want the one in hand and not all", handled[0])
	}

	tl.NextRun()
	_, _, cs = service(t, url, stream, consumer, 50, handler(tl), 10*time.Second)
	r = testkit.RunComponents(t, cs...)
	tl.WaitDistinct(t, n, 10*time.Second) // well within the one-minute ack wait
	r.App.Stop("test")
	r.Wait(t)
	if _, dups, _, _ := tl.Snapshot(); dups[1] != 0 {
		t.Errorf("second run handled %d messages again, want 0 after a clean stop", dups[1])
	}
	settled(t, url, stream, consumer)
}

// TestHardStopRedelivers cuts a handler off at the stop deadline: the stop ends at the limit, the
// message is nak'ed, and the next run handles it.
func TestHardStopRedelivers(t *testing.T) {
	const (
		n     = 20
		limit = 300 * time.Millisecond
	)
	url, stream, consumer, tl := published(t, n)
	var stuck atomic.Value
	entered := make(chan struct{})
	var cause atomic.Value
	_, _, cs := service(t, url, stream, consumer, 5, func(ctx context.Context, msg jetstream.Msg) error {
		if stuck.CompareAndSwap(nil, string(msg.Data())) {
			close(entered)
			<-ctx.Done()
			cause.Store(context.Cause(ctx))
			return ctx.Err()
		}
		return tl.Add(msg.Data())
	}, limit)
	r := testkit.RunComponents(t, cs...)
	await(t, entered, "the handler to get the first message")
	r.App.Stop("test")
	rep := r.Wait(t).Report
	cr := rep.Component("orders")
	if cr.State != grace.StateAbandoned || !cr.TimedOut {
		t.Errorf("consumer %s (timed out %v), want abandoned at its limit:\n%s", cr.State, cr.TimedOut, rep)
	}
	if err, _ := cause.Load().(error); !errors.Is(err, grace.ErrTimeout) {
		t.Errorf("handler's ctx cause %v, want the stop deadline", err)
	}

	tl.NextRun()
	_, _, cs = service(t, url, stream, consumer, 5, handler(tl), 10*time.Second)
	r = testkit.RunComponents(t, cs...)
	tl.WaitDistinct(t, n, 10*time.Second) // the nak makes it come back at once, not after a minute
	r.App.Stop("test")
	r.Wait(t)
	if _, _, _, counts := tl.Snapshot(); counts[atoi(t, stuck.Load().(string))] != 1 {
		t.Errorf("message cut off at the hard stop not handled by the next run")
	}
}

// TestHandlerErrorStopsApp: a handler's error stops the app as a crash with a HandlerError, and
// the message is handled by the next run.
func TestHandlerErrorStopsApp(t *testing.T) {
	const n = 30
	url, stream, consumer, tl := published(t, n)
	boom := errors.New("boom")
	var failed atomic.Value
	_, _, cs := service(t, url, stream, consumer, 10, func(ctx context.Context, msg jetstream.Msg) error {
		if failed.CompareAndSwap(nil, string(msg.Data())) {
			return boom
		}
		return tl.Add(msg.Data())
	}, 5*time.Second)
	r := testkit.RunComponents(t, cs...)
	res := r.Wait(t)
	rep := res.Report
	var he *gracenats.HandlerError
	if rep.ExitCode != grace.ExitCrashed || !errors.As(res.Err, &he) || !errors.Is(res.Err, boom) || he.Sequence == 0 {
		t.Fatalf("exit %d, error %v; want a crash with a HandlerError naming the message", rep.ExitCode, res.Err)
	}
	tl.NextRun()
	_, _, cs = service(t, url, stream, consumer, 10, handler(tl), 5*time.Second)
	r = testkit.RunComponents(t, cs...)
	tl.WaitDistinct(t, n, 10*time.Second)
	r.App.Stop("test")
	r.Wait(t)
	if _, _, _, counts := tl.Snapshot(); counts[atoi(t, failed.Load().(string))] != 1 {
		t.Errorf("failed message not handled by the next run")
	}
}

// TestPanicRestartHandsBack panics in the handler; the app restarts the worker
// (grace.RestartOnPanic), and the message in hand and those pulled ahead come back at once, not
// after the minute-long ack wait.
func TestPanicRestartHandsBack(t *testing.T) {
	const n = 200
	url, stream, consumer, tl := published(t, n)
	var calls atomic.Int32
	_, _, cs := service(t, url, stream, consumer, 20, func(ctx context.Context, msg jetstream.Msg) error {
		if calls.Add(1) == 7 {
			panic("handler bug")
		}
		return tl.Add(msg.Data())
	}, 5*time.Second)
	cs[1].Opts = append(cs[1].Opts, grace.RestartOnPanic(10*time.Millisecond, 100*time.Millisecond))
	r := testkit.RunComponents(t, cs...)
	tl.WaitDistinct(t, n, 10*time.Second)
	r.App.Stop("test")
	rep := r.Wait(t).Report
	if cr := rep.Component("orders"); cr.Restarts != 1 {
		t.Errorf("restarts %d, want 1:\n%s", cr.Restarts, rep)
	}
	settled(t, url, stream, consumer)
}

func TestStartErrors(t *testing.T) {
	url := serverURL(t)
	stream, consumer := newStream(t, url, time.Minute)
	nc := connect(t, url)
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ackNone := uniqueName("N")
	if _, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: ackNone, AckPolicy: jetstream.AckNonePolicy}); err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context, jetstream.Msg) error { return nil }
	cases := []struct {
		name    string
		c       any
		want    string
		invalid bool
	}{
		{"no such consumer", gracenats.NewConsumer(js, stream, "nope", ok), `look up jetstream consumer "nope"`, false},
		{"no such stream", gracenats.NewConsumer(js, "nope", consumer, ok), `of stream "nope"`, false},
		{"ack none", gracenats.NewConsumer(js, stream, ackNone, ok), "must use explicit acks", true},
		{"bad batch", gracenats.NewConsumer(js, stream, consumer, ok, gracenats.WithBatch(0)), "batch must be positive, got 0", true},
		{"nil handler", gracenats.NewConsumer(js, stream, consumer, nil), "nil handler", true},
		{"empty names", gracenats.NewConsumer(js, "", "", ok), "must not be empty", true},
		{"nil conn", gracenats.NewConn(nil), "nil *nats.Conn", true},
		{"bad cut margin", gracenats.NewPublisher(js, gracenats.WithCutMargin(-time.Second)), `component "c": cut margin must be positive, got -1s`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := grace.New(grace.WithSignals(), grace.WithLogger(testkit.QuietLogger()), grace.WithStartTimeout(5*time.Second))
			app.Add("c", tc.c)
			rep, err := app.Run(context.Background())
			if rep.ExitCode != grace.ExitStartFailed || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("exit %d, error %v; want a failed start mentioning %q", rep.ExitCode, err, tc.want)
			}
			if tc.invalid != errors.Is(err, grace.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = %v, want %v", err, !tc.invalid, tc.invalid)
			}
		})
	}
}
