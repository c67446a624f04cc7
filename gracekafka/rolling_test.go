package gracekafka_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracekafka"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRollingRestart has two instances share the group, as in a rolling deployment: one is
// stopped mid-stream while the other keeps consuming, takes over its partitions after the
// rebalance and finishes the topic. The stopped instance finishes its batch, commits and leaves,
// so the other starts exactly where it stopped: no record is lost and none is handled twice.
func TestRollingRestart(t *testing.T) {
	const (
		n       = 3000
		maxPoll = 50
		group   = "rolling"
	)
	cluster := newCluster(t)
	addrs := cluster.ListenAddrs()
	produceN(t, addrs, n)

	tl := testkit.NewLedger("record")
	tl.NextRun() // one ledger run: both instances together
	var byA, byB atomic.Int32
	handle := func(by *atomic.Int32) gracekafka.Handler {
		return func(ctx context.Context, r *kgo.Record) error {
			time.Sleep(200 * time.Microsecond)
			by.Add(1)
			return tl.Add(r.Value)
		}
	}
	a := runApp(t, "consumer", consumerFor(addrs, group, maxPoll, handle(&byA)))
	b := runApp(t, "consumer", consumerFor(addrs, group, maxPoll, handle(&byB)))
	tl.WaitDistinct(t, n/3, 30*time.Second)
	for deadline := time.Now().Add(20 * time.Second); byA.Load() == 0 || byB.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s instance a handled %d records and b %d: the group never shared the partitions", byA.Load(), byB.Load())
		}
	}
	a.App.Stop("rolling restart")
	if rep := a.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("instance a: exit %d:\n%s", rep.ExitCode, rep)
	}
	tl.WaitDistinct(t, n, 30*time.Second) // b alone finishes the topic
	b.App.Stop("done")
	if rep := b.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("instance b: exit %d:\n%s", rep.ExitCode, rep)
	}
	distinct, dups, handled, _ := tl.Snapshot()
	if dups[0] > maxPoll {
		t.Errorf("%d records handled twice across the rebalance, more than one batch (%d)", dups[0], maxPoll)
	}
	if got := committed(cluster, group); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
	t.Logf("records %d, distinct handled %d, handled %d (instance a %d, b %d), duplicates across the rebalance %d (bound %d)",
		n, distinct, handled[0], byA.Load(), byB.Load(), dups[0], maxPoll)
}
