package gracenats_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRestartsLoseNothing is the test, on a real nats-server: publish N messages, stop
// the consumer mid-stream again and again — App.Stop and SIGTERM through the signal source,
// alternately — start it again each time, and check that every message was handled at least
// once and that no run handled more than one batch of messages an earlier run had handled.
func TestRestartsLoseNothing(t *testing.T) {
	const (
		n        = 3000
		restarts = 8
		batch    = 50
	)
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
	total := tl.Check(t, n, batch)
	distinct, dups, handled, _ := tl.Snapshot()
	settled(t, url, stream, consumer)
	t.Logf("messages %d, distinct handled %d, runs %d (restarts %d), handled per run %v, duplicates per run %v (total %d; bound %d per restart)",
		n, distinct, len(dups), restarts, handled, dups, total, batch)
}

// TestRollingRestart has two instances pull from the same durable consumer, as in a rolling
// deployment: one is stopped mid-stream while the other keeps consuming. The stopped instance
// finishes its message in hand and hands back what it had pulled ahead, which the other gets at
// once (the ack wait is a minute, longer than the test may take); nothing is lost and nothing
// handled twice.
func TestRollingRestart(t *testing.T) {
	const (
		n     = 3000
		batch = 50
	)
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
	const (
		n        = 2000
		restarts = 200
		batch    = 10
	)
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
	tl.NextRun()
	_, _, cs := service(t, url, stream, consumer, batch, handler(tl), 10*time.Second)
	r := testkit.RunComponents(t, cs...)
	tl.WaitDistinct(t, n, 20*time.Second)
	settledSoon(t, url, stream, consumer, 5*time.Second)
	r.App.Stop("test")
	r.Wait(t)
	tl.ExactlyOnce(t, n, handedBack)
}

// TestHandBackWithPullRequestOpen is the race of issue 12, made certain: the consumer has pulled
// every message there is, so its pull request is still open on the server when the stop hands
// back the messages pulled ahead. A nats-server before 2.10.14 that gets those naks while it
// still holds the request of the closed subscription forgets one nak'd message (it waits out the
// AckWait) and delivers the last message again as new (handled twice). The stop must hand back
// so that the next run handles each remaining message exactly once, at once.
func TestHandBackWithPullRequestOpen(t *testing.T) {
	const (
		n     = 10
		batch = 100 // more than there are messages: the request stays open
	)
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
		spy := &stopSpy{Consumer: cons, called: make(chan struct{})}
		cs[1].C = spy
		r := testkit.RunComponents(t, cs...)
		await(t, entered, "the handler to get the first message")
		ackPending(t, url, stream, consumer, n) // all n delivered: n-1 pulled ahead, the request still open
		r.App.Stop("test")
		await(t, spy.called, "the consumer's Stop")
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
		tl.NextRun()
		_, _, cs = service(t, url, stream, consumer, batch, handler(tl), 10*time.Second)
		r = testkit.RunComponents(t, cs...)
		tl.WaitDistinct(t, n, 10*time.Second) // well within the one-minute ack wait
		settledSoon(t, url, stream, consumer, 2*time.Second)
		r.App.Stop("test")
		r.Wait(t)
		if _, dups, _, counts := tl.Snapshot(); dups[1] != 0 {
			t.Fatalf("round %d: %d messages handled twice after a clean stop (counts %v)", round, dups[1], counts)
		}
	}
}

// stopSpy tells when the engine calls the consumer's Stop.
type stopSpy struct {
	*gracenats.Consumer
	called chan struct{}
	once   sync.Once
}

func (s *stopSpy) Stop(ctx context.Context) error {
	s.once.Do(func() { close(s.called) })
	return s.Consumer.Stop(ctx)
}

// ackPending waits until the server has delivered n messages of the consumer that are not
// acked yet.
func ackPending(t *testing.T, url, stream, consumer string, n int) {
	t.Helper()
	nc := connect(t, url)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	testkit.Until(t, 10*time.Second, "the messages to be delivered", func() bool {
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
		return info.NumAckPending == n
	})
}

// settledSoon waits at most d until the consumer has nothing pending — every message delivered
// and acked — and fails t naming what is left if it does not.
func settledSoon(t *testing.T, url, stream, consumer string, d time.Duration) {
	t.Helper()
	nc := connect(t, url)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var last *jetstream.ConsumerInfo
	testkit.Until(t, d, "the consumer to settle", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := js.Consumer(ctx, stream, consumer)
		if err != nil {
			t.Fatal(err)
		}
		if last, err = c.Info(ctx); err != nil {
			t.Fatal(err)
		}
		return last.NumAckPending == 0 && last.NumPending == 0
	})
}
