package graceamqp_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestRandomStopsExactlyOnce stops and restarts a consumer hundreds of times at random moments —
// while it receives, holds a delivery in its handler, acks, or hands back — against the
// real RabbitMQ, and checks that across those clean stops every message is handled exactly once,
// that no stop loses anything, that each stop hands back no more than the broker can have sent
// ahead (the prefetch), and that what was handed back is in the queue again at once. The moments
// come from a seed (printed on failure).
func TestRandomStopsExactlyOnce(t *testing.T) {
	const (
		n        = 2000
		restarts = 200
		prefetch = 10
	)
	url := brokerURL(t)
	adm := newAdmin(t, url)
	q := adm.queue(t)
	publishN(t, url, q, n)

	tl := testkit.NewLedger("message")
	var redelivered atomic.Int64 // distinct messages handled with the broker's redelivered flag
	handle := func(d amqp.Delivery) error {
		time.Sleep(200 * time.Microsecond) // some work, so timed stops land mid-stream
		if d.Redelivered {
			redelivered.Add(1)
		}
		return tl.Add(d.Body)
	}
	// A stop from the test may land while the consumer's Start waits for the broker (channel
	// open, qos, consume). That once made the connection's close fail with the broker's 504
	// CHANNEL_ERROR "expected 'channel.open'" (exit 1), found by this test and fixed in
	// Consumer.Start.
	var cons *graceamqp.Consumer
	handedBack := tl.RandomStops(t, restarts, prefetch, func(run int, s *testkit.RandomStop, app *grace.App) {
		conn := dial(t, url)
		cons = graceamqp.NewConsumer(conn, q, func(ctx context.Context, d amqp.Delivery) error {
			s.Take()
			return handle(d)
		}, graceamqp.WithPrefetch(prefetch))
		app.Add("amqp", graceamqp.NewConn(conn))
		app.Add("consumer", cons, grace.StopTimeout(10*time.Second))
	}, nil, func(run int, s *testkit.RandomStop, rep *grace.Report) {
		acc, own := rep.Component("consumer").Account, cons.Account()
		if acc.Lost != 0 || own.Lost != 0 || acc.HandedBack != own.HandedBack {
			t.Fatalf("run %d (stop %s): report's account %+v, consumer's %+v; want the same, nothing lost", run, s, acc, own)
		}
		if acc.HandedBack < 0 || acc.HandedBack > prefetch {
			t.Fatalf("run %d (stop %s): handed back %d, want 0..%d (the prefetch: the broker sends no more ahead)", run, s, acc.HandedBack, prefetch)
		}
		// Every message not handled yet waits in the queue again: none acked without being
		// handled, none held back for a timeout.
		adm.waitReady(t, q, n-tl.Distinct())
	})
	// A last run handles what is left.
	tl.NextRun()
	conn := dial(t, url)
	last := graceamqp.NewConsumer(conn, q, func(ctx context.Context, d amqp.Delivery) error { return handle(d) },
		graceamqp.WithPrefetch(prefetch))
	r := testkit.RunComponents(t, component{Name: "amqp", C: graceamqp.NewConn(conn)}, component{Name: "consumer", C: last})
	tl.WaitDistinct(t, n, 20*time.Second)
	adm.waitReady(t, q, 0)
	r.App.Stop("test")
	if rep := r.Wait(t).Report; rep.ExitCode != grace.ExitClean || rep.Lost != 0 || rep.HandedBack != 0 {
		t.Errorf("last run: exit %d, lost %d, handed back %d; want clean, nothing lost, nothing to hand back:\n%s",
			rep.ExitCode, rep.Lost, rep.HandedBack, rep)
	}
	tl.ExactlyOnce(t, n, handedBack)
	// Each message handled with the redelivered flag was handed back at least once before.
	if got := redelivered.Load(); got > handedBack {
		t.Errorf("%d messages came back redelivered, but the stops reported only %d handed back", got, handedBack)
	}
	t.Logf("%d handled redelivered", redelivered.Load())
}
