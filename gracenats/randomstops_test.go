package gracenats_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
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
	seed := testkit.Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	url := embeddedServer(t)
	stream, consumer := newStream(t, url, time.Minute)
	publishN(t, url, stream, n)

	tl := testkit.NewLedger("message")
	var handedBack int64
	for run := range restarts {
		tl.NextRun()
		// The stop comes either from the handler, as it holds its k-th message (the stop lands
		// with a message in hand and others pulled ahead), or from the test after a random delay
		// (anywhere: during the start, a pull, a handler, an ack confirmation).
		inHandStop := rng.IntN(2) == 0
		k := int64(1 + rng.IntN(3*batch))
		delay := time.Duration(rng.IntN(int(15 * time.Millisecond)))
		var app atomic.Pointer[grace.App]
		var seen atomic.Int64
		handle := func(ctx context.Context, msg jetstream.Msg) error {
			if inHandStop && seen.Add(1) == k {
				app.Load().Stop("random stop in hand")
			}
			return tl.Add(msg.Data())
		}
		_, cons, cs := service(t, url, stream, consumer, batch, handle, 10*time.Second)
		a := testkit.NewApp(grace.WithBudget(20 * time.Second))
		for _, c := range cs {
			a.Add(c.name, c.c, c.opts...)
		}
		app.Store(a)
		r := testkit.Run(t, a) // not waiting for ready: a stop may come while it starts
		if !inHandStop {
			timer := time.NewTimer(delay)
			select {
			case <-timer.C:
			case <-r.Ended():
			}
			timer.Stop()
		}
		a.Stop("random stop") // also ends a run whose in-hand stop never came (all handled)
		rep := r.Wait(t).Report
		if rep.ExitCode != grace.ExitClean {
			t.Fatalf("run %d: exit %d:\n%s", run, rep.ExitCode, rep)
		}
		if acc, own := rep.Component("orders").Account, cons.Account(); acc.Lost != 0 || own.Lost != 0 || acc.HandedBack != own.HandedBack {
			t.Fatalf("run %d: report's account %+v, consumer's %+v; want the same, nothing lost", run, acc, own)
		}
		handedBack += rep.HandedBack
		if _, dups, _, _ := tl.Snapshot(); dups[run] != 0 {
			t.Fatalf("run %d (stop %s): %d messages handled again after clean stops", run, moment(inHandStop, k, delay), dups[run])
		}
	}
	// A last run handles what is left — at once: nothing may wait for the AckWait.
	tl.NextRun()
	_, _, cs := service(t, url, stream, consumer, batch, handler(tl), 10*time.Second)
	r := runApp(t, cs...)
	tl.WaitDistinct(t, n, 20*time.Second)
	settledSoon(t, url, stream, consumer, 5*time.Second)
	r.App.Stop("test")
	r.Wait(t)
	distinct, dups, handled, counts := tl.Snapshot()
	for v := range n {
		if counts[v] != 1 {
			t.Errorf("message %d handled %d times, want exactly once", v, counts[v])
		}
	}
	total := 0
	for _, d := range dups {
		total += d
	}
	t.Logf("seed %d: %d messages, %d distinct handled, %d restarts, %d handled by the last run, %d duplicates, %d handed back",
		seed, n, distinct, restarts, handled[len(handled)-1], total, handedBack)
}

func moment(inHand bool, k int64, delay time.Duration) string {
	if inHand {
		return "with message " + strconv.FormatInt(k, 10) + " in hand"
	}
	return "after " + delay.String()
}
