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

// TestRestartsLoseNothing is the test: produce N records, stop the consumer mid-stream
// again and again — by App.Stop and by SIGTERM through the signal source, alternately — start
// it again each time, and check that every record was handled at least once and that no run
// handled more than one batch of records an earlier run had handled.
func TestRestartsLoseNothing(t *testing.T) {
	const (
		n        = 3000
		restarts = 8
		maxPoll  = 50
		group    = "restarts"
	)
	cluster, addrs, _ := produced(t, n)

	tl := testkit.NewLedger("record")
	handle := func(ctx context.Context, r *kgo.Record) error {
		time.Sleep(200 * time.Microsecond) // some work, so stops land mid-stream
		return tl.Add(r.Value)
	}
	var c *gracekafka.Consumer
	tl.Restarts(t, n, restarts+1, func(int) *testkit.Signalled {
		c = consumerFor(addrs, group, maxPoll, handle)
		return runApp(t, "consumer", c, grace.StopTimeout(10*time.Second))
	}, func(run int, _ *grace.Report) {
		select {
		case <-c.Closed():
		default:
			t.Fatalf("run %d: Stop returned before the client closed", run)
		}
		groupEmpty(t, cluster, group)
	})

	total := tl.Check(t, n, maxPoll)
	distinct, dups, handled, _ := tl.Snapshot()
	if got := committed(cluster, group); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
	t.Logf("records %d, distinct handled %d, runs %d (restarts %d), handled per run %v, duplicates per run %v (total %d; bound %d per restart)",
		n, distinct, len(dups), restarts, handled, dups, total, maxPoll)
}

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
	cluster, addrs, tl := produced(t, n) // one ledger run: both instances together
	tl.RollingRestart(t, n, maxPoll, func(took *atomic.Int32) *testkit.Signalled {
		return runApp(t, "consumer", consumerFor(addrs, group, maxPoll, func(ctx context.Context, r *kgo.Record) error {
			time.Sleep(200 * time.Microsecond)
			took.Add(1)
			return tl.Add(r.Value)
		}))
	})
	if got := committed(cluster, group); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
}

// TestRandomStopsExactlyOnce stops and restarts a group consumer hundreds of times at random
// moments — while it polls, holds a record in its handler, commits — against
// kfake, and checks that across those clean stops every record is handled exactly once and the
// group's commits end at the end of every partition. The moments come from a seed (printed on
// failure).
func TestRandomStopsExactlyOnce(t *testing.T) {
	const (
		n        = 5000
		restarts = 200
		maxPoll  = 10
		group    = "random"
	)
	cluster, addrs, _ := produced(t, n)
	// newConsumer: with a short rebalance timeout. A stop that lands while the member rejoins
	// waits for the join, which the broker holds until every member has rejoined or the
	// rebalance timeout (a minute by default) has passed; see the package doc.
	newConsumer := func(h gracekafka.Handler) *gracekafka.Consumer {
		return gracekafka.NewConsumer(group, h,
			gracekafka.WithClientOptions(
				kgo.SeedBrokers(addrs...),
				kgo.ConsumeTopics(topic),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
				kgo.RebalanceTimeout(500*time.Millisecond),
			),
			gracekafka.WithMaxPollRecords(maxPoll),
			gracekafka.WithLogger(testkit.QuietLogger()),
		)
	}

	tl := testkit.NewLedger("record")
	var c *gracekafka.Consumer
	var joined chan struct{}
	handedBack := tl.RandomStops(t, restarts, maxPoll, func(run int, s *testkit.RandomStop, app *grace.App) {
		joined = make(chan struct{})
		joinedRun := joined
		c = newConsumer(func(ctx context.Context, r *kgo.Record) error {
			if s.Take() == 1 {
				close(joinedRun)
			}
			time.Sleep(200 * time.Microsecond) // some work, so timed stops land mid-batch
			return tl.Add(r.Value)
		})
		app.Add("consumer", c, grace.StopTimeout(10*time.Second))
	}, func(r *testkit.Running) {
		// The window opens once the consumer has joined and handles records: a stop in the
		// middle of its first join leaves a member the group waits for (see the report of
		// issue 12), which this test does not cover.
		// (Once every record is handled no record comes: then after a second.)
		if tl.Distinct() < n {
			idle := time.NewTimer(time.Second)
			defer idle.Stop()
			select {
			case <-joined:
			case <-r.Ended():
			case <-idle.C:
			}
		}
	}, func(run int, s *testkit.RandomStop, rep *grace.Report) {
		if acc, own := rep.Component("consumer").Account, c.Account(); acc.Lost != 0 || acc.HandedBack != own.HandedBack {
			t.Fatalf("run %d (stop %s): report's account %+v, consumer's %+v; want the same, nothing lost", run, s, acc, own)
		}
		if c.Client() != nil { // started: its stop closed the client
			await(t, c.Closed(), "the client to close")
		}
	})
	// A last run handles what is left. The same short rebalance timeout as the random runs: a
	// join that waits for a member the group still lists (a busy machine) is then settled in
	// half a second, not a minute.
	tl.NextRun()
	r := runApp(t, "consumer", newConsumer(handler(tl)))
	tl.WaitDistinct(t, n, 40*time.Second)
	r.App.Stop("test")
	r.Wait(t)
	tl.ExactlyOnce(t, n, handedBack)
	if got := committed(cluster, group); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
}
