package gracenats_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/nats-io/nats.go/jetstream"
)

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
	url := serverURL(t)
	stream, consumer := newStream(t, url, time.Minute)
	publishN(t, url, stream, n)

	tl := testkit.NewLedger("message")
	tl.NextRun() // one ledger run: both instances together
	var byA, byB atomic.Int32
	handle := func(by *atomic.Int32) gracenats.Handler {
		return func(ctx context.Context, msg jetstream.Msg) error {
			time.Sleep(200 * time.Microsecond)
			by.Add(1)
			return tl.Add(msg.Data())
		}
	}
	_, _, csA := service(t, url, stream, consumer, batch, handle(&byA), 10*time.Second)
	_, _, csB := service(t, url, stream, consumer, batch, handle(&byB), 10*time.Second)
	a := testkit.RunComponents(t, csA...)
	b := testkit.RunComponents(t, csB...)
	tl.WaitDistinct(t, n/3, 30*time.Second)
	for deadline := time.Now().Add(20 * time.Second); byA.Load() == 0 || byB.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s instance a handled %d messages and b %d: they never shared the consumer", byA.Load(), byB.Load())
		}
	}
	a.App.Stop("rolling restart")
	if rep := a.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("instance a: exit %d:\n%s", rep.ExitCode, rep)
	}
	tl.WaitDistinct(t, n, 30*time.Second) // b alone finishes, without waiting for the ack wait
	b.App.Stop("done")
	if rep := b.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("instance b: exit %d:\n%s", rep.ExitCode, rep)
	}
	distinct, dups, handled, _ := tl.Snapshot()
	if dups[0] > batch {
		t.Errorf("%d messages handled twice, more than one batch (%d)", dups[0], batch)
	}
	settled(t, url, stream, consumer)
	t.Logf("messages %d, distinct handled %d, handled %d (instance a %d, b %d), duplicates %d (bound %d)",
		n, distinct, handled[0], byA.Load(), byB.Load(), dups[0], batch)
}
