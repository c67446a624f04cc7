package gracenats_test

import (
	"context"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

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
