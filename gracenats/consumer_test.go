package gracenats_test

import (
	"context"
	"errors"
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
	nc, js := jetStream(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
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

// nextRun starts the next run of tl: the consumer again, with a handler that only records, until
// all n messages were handled (at most wait) — and, with settle above 0, until the server has
// nothing pending or unacked for the consumer (at most settle) — and stops it.
func nextRun(t *testing.T, url, stream, consumer string, batch int, tl *testkit.Ledger, n int, wait, settle time.Duration) {
	t.Helper()
	tl.NextRun()
	_, _, cs := service(t, url, stream, consumer, batch, handler(tl), 10*time.Second)
	r := testkit.RunComponents(t, cs...)
	tl.WaitDistinct(t, n, wait)
	if settle > 0 {
		settledSoon(t, url, stream, consumer, settle)
	}
	r.App.Stop("test")
	r.Wait(t)
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

	nextRun(t, url, stream, consumer, 50, tl, n, 10*time.Second, 0) // well within the one-minute ack wait
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

	nextRun(t, url, stream, consumer, 5, tl, n, 10*time.Second, 0) // the nak makes it come back at once, not after a minute
	if tl.Times(t, stuck.Load().(string)) != 1 {
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
	// Not RunComponents, which wants the app still ready when it looks: the first message may
	// fail, and stop the app, as soon as the app is ready.
	app := testkit.NewApp(grace.WithBudget(20 * time.Second))
	testkit.AddAll(app, cs...)
	res := testkit.Run(t, app).Wait(t)
	rep := res.Report
	var he *gracenats.HandlerError
	if rep.ExitCode != grace.ExitCrashed || !errors.As(res.Err, &he) || !errors.Is(res.Err, boom) || he.Sequence == 0 {
		t.Fatalf("exit %d, error %v; want a crash with a HandlerError naming the message", rep.ExitCode, res.Err)
	}
	nextRun(t, url, stream, consumer, 10, tl, n, 10*time.Second, 0)
	if tl.Times(t, failed.Load().(string)) != 1 {
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
	_, js := jetStream(t, url)
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
		t.Run(tc.name, func(t *testing.T) { testkit.StartFails(t, tc.c, tc.want, tc.invalid) })
	}
}

// TestRestartsLoseNothing is the test, on a real nats-server: publish N messages, stop
// the consumer mid-stream again and again — App.Stop and SIGTERM through the signal source,
// alternately — start it again each time, and check that every message was handled at least
// once and that no run handled more than one batch of messages an earlier run had handled.
func TestRestartsLoseNothing(t *testing.T) {
	const n, restarts, batch = 3000, 8, 50
	url := serverURL(t)
	stream, consumer := newStream(t, url, 5*time.Second)
	publishN(t, url, stream, n)

	tl := testkit.NewLedger("message")
	handle := func(ctx context.Context, msg jetstream.Msg) error {
		time.Sleep(200 * time.Microsecond) // some work, so stops land mid-stream
		return tl.Add(msg.Data())
	}
	var conn *gracenats.Conn
	tl.Restarts(t, n, restarts+1, func(int) *testkit.Signalled {
		var cs []component
		conn, _, cs = service(t, url, stream, consumer, batch, handle, 10*time.Second)
		return testkit.RunComponents(t, cs...)
	}, func(run int, _ *grace.Report) {
		select {
		case <-conn.Closed():
		default:
			t.Fatalf("run %d: the connection's Stop returned before its closed handler ran", run)
		}
	})
	tl.CheckLog(t, n, batch)
	settled(t, url, stream, consumer)
}

// TestRollingRestart has two instances pull from the same durable consumer, as in a rolling
// deployment: one is stopped mid-stream while the other keeps consuming. The stopped instance
// finishes its message in hand and hands back what it had pulled ahead, which the other gets at
// once (the ack wait is a minute, longer than the test may take); nothing is lost and nothing
// handled twice.
func TestRollingRestart(t *testing.T) {
	const n, batch = 3000, 50
	url, stream, consumer, tl := published(t, n) // one ledger run: both instances together
	tl.RollingRestart(t, n, batch, func(took *atomic.Int32) *testkit.Signalled {
		_, _, cs := service(t, url, stream, consumer, batch, func(ctx context.Context, msg jetstream.Msg) error {
			time.Sleep(200 * time.Microsecond)
			took.Add(1)
			return tl.Add(msg.Data())
		}, 10*time.Second)
		return testkit.RunComponents(t, cs...)
	})
	settled(t, url, stream, consumer)
}

// TestRandomStopsExactlyOnce stops and restarts a consumer hundreds of times at random moments —
// while it starts, pulls, holds a message in its handler, or hands back — against the real
// nats-server, and checks that across those clean stops every message is handled exactly once,
// and that nothing waits for the AckWait (a minute, longer than the test may take): every message
// pulled ahead is handed back at once. The moments come from a seed (printed on failure).
func TestRandomStopsExactlyOnce(t *testing.T) {
	const n, restarts, batch = 2000, 200, 10
	url := embeddedServer(t)
	stream, consumer := newStream(t, url, time.Minute)
	publishN(t, url, stream, n)

	tl := testkit.NewLedger("message")
	var cons *gracenats.Consumer
	handedBack := tl.RandomStops(t, restarts, batch, func(run int, s *testkit.RandomStop, app *grace.App) {
		var cs []component
		_, cons, cs = service(t, url, stream, consumer, batch, func(ctx context.Context, msg jetstream.Msg) error {
			s.Take()
			return tl.Add(msg.Data())
		}, 10*time.Second)
		testkit.AddAll(app, cs...)
	}, nil, func(run int, s *testkit.RandomStop, rep *grace.Report) {
		if acc, own := rep.Component("orders").Account, cons.Account(); acc.Lost != 0 || own.Lost != 0 || acc.HandedBack != own.HandedBack {
			t.Fatalf("run %d (stop %s): report's account %+v, consumer's %+v; want the same, nothing lost", run, s, acc, own)
		}
	})
	// A last run handles what is left — at once: nothing may wait for the AckWait.
	nextRun(t, url, stream, consumer, batch, tl, n, 20*time.Second, 5*time.Second)
	tl.ExactlyOnce(t, n, handedBack)
}

// TestHandBackWithPullRequestOpen is the race of issue 12, made certain: the consumer has pulled
// every message there is, so its pull request is still open on the server when the stop hands
// back the messages pulled ahead. A nats-server before 2.10.14 that gets those naks while it
// still holds the request of the closed subscription forgets one nak'd message (it waits out the
// AckWait) and delivers the last message again as new (handled twice). The stop must hand back
// so that the next run handles each remaining message exactly once, at once.
func TestHandBackWithPullRequestOpen(t *testing.T) {
	const n, batch = 10, 100 // more than there are messages: the request stays open
	url := serverURL(t)
	for round := range 3 {
		stream, consumer := newStream(t, url, time.Minute) // redelivery by ack wait would fail the test's deadline
		publishN(t, url, stream, n)
		tl := testkit.NewLedger("message")
		tl.NextRun()
		entered, release := make(chan struct{}), make(chan struct{})
		var first sync.Once
		_, cons, cs := service(t, url, stream, consumer, batch, func(ctx context.Context, msg jetstream.Msg) error {
			first.Do(func() { close(entered); <-release })
			return tl.Add(msg.Data())
		}, 10*time.Second)
		watch := testkit.WatchStop(cs[1].Name)
		r := testkit.RunComponents(t, append(cs, component{Name: "watch", C: watch})...)
		await(t, entered, "the handler to get the first message")
		ackPending(t, url, stream, consumer, n) // all n delivered: n-1 pulled ahead, the request still open
		r.App.Stop("test")
		await(t, watch.Stopping(), "the consumer's stop")
		testkit.Until(t, 10*time.Second, "the consumer to be stopping", func() bool { return gracenats.IsStopping(cons) })
		close(release)
		rep := r.Wait(t).Report
		if rep.ExitCode != grace.ExitClean {
			t.Fatalf("round %d: exit %d:\n%s", round, rep.ExitCode, rep)
		}
		if acc := cons.Account(); acc.HandedBack != n-1 || acc.Lost != 0 {
			t.Errorf("round %d: account %+v, want %d messages handed back", round, acc, n-1)
		}
		if cr := rep.Component("orders"); cr.Account.HandedBack != n-1 {
			t.Errorf("round %d: report's account %+v, want %d handed back\n%s", round, cr.Account, n-1, rep)
		}

		// The next run gets the rest at once and handles each once; the message handled before
		// the stop is not handled again.
		nextRun(t, url, stream, consumer, batch, tl, n, 10*time.Second, 2*time.Second) // well within the one-minute ack wait
		if _, dups, _, counts := tl.Snapshot(); dups[1] != 0 {
			t.Fatalf("round %d: %d messages handled twice after a clean stop (counts %v)", round, dups[1], counts)
		}
	}
}

// TestContracts: Conn, Consumer and Publisher are the engine interfaces their docs name, and
// CutError and UnackedError are cut errors (grace.ErrCut, grace.CutError) in messages.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracenats.Conn{}, (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil), (*grace.Validator)(nil))
	testkit.Implements(t, &gracenats.Consumer{}, (*grace.Starter)(nil), (*grace.Runner)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil), (*grace.Validator)(nil))
	testkit.Implements(t, &gracenats.Publisher{}, (*grace.Stopper)(nil), (*grace.Accounter)(nil), (*grace.Validator)(nil))
	testkit.CutErrors(t, 2, "messages", &gracenats.CutError{What: "drain", Messages: 2}, &gracenats.UnackedError{Messages: 2})
}
