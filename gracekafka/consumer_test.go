package gracekafka_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracekafka"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerFor returns a consumer of topic in group, reading from the start when the group has
// no commit.
func consumerFor(addrs []string, group string, maxPoll int, h gracekafka.Handler) *gracekafka.Consumer {
	return gracekafka.NewConsumer(group, h,
		gracekafka.WithClientOptions(
			kgo.SeedBrokers(addrs...),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		),
		gracekafka.WithMaxPollRecords(maxPoll),
		gracekafka.WithLogger(testkit.QuietLogger()),
	)
}

// runApp runs an app of the one component c, which takes its signals from the test, and waits
// until it is ready.
func runApp(t *testing.T, name string, c any, opts ...grace.ComponentOption) *testkit.Signalled {
	t.Helper()
	return testkit.RunSignalled(t, func(app *grace.App) { app.Add(name, c, opts...) }, grace.WithBudget(20*time.Second))
}

// await waits for ch to be closed, for at most 20 s.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	testkit.Await(t, ch, 20*time.Second, what)
}

// groupEmpty fails t unless the group has no members: the consumer left it at its stop.
func groupEmpty(t *testing.T, c *kfake.Cluster, group string) {
	t.Helper()
	if gi := c.GroupInfo(group); gi != nil && len(gi.Members) > 0 {
		t.Errorf("group %q still has %d members after the stop; the consumer did not leave", group, len(gi.Members))
	}
}

// committed returns the group's committed offset sum over the topic's partitions.
func committed(c *kfake.Cluster, group string) int64 {
	var sum int64
	if gi := c.GroupInfo(group); gi != nil {
		for _, pc := range gi.Commits[topic] {
			sum += pc.Offset
		}
	}
	return sum
}

// TestSoftStopFinishesBatchInHand stops the consumer while its handler is inside the first
// record of a batch: the handler's ctx stays live, the rest of the batch is handled, nothing more
// is polled, and the whole batch is committed, so the next run starts right after it.
func TestSoftStopFinishesBatchInHand(t *testing.T) {
	const (
		n       = 100
		maxPoll = 10
		group   = "soft"
	)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addrs := cluster.ListenAddrs()
	produceN(t, addrs, n)

	tl := testkit.NewLedger("record")
	tl.NextRun()
	entered, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	var ctxErrInHand error
	var released atomic.Bool
	var afterStop atomic.Int32
	c := consumerFor(addrs, group, maxPoll, func(ctx context.Context, r *kgo.Record) error {
		held := false
		first.Do(func() {
			held = true
			close(entered)
			<-release
			ctxErrInHand = ctx.Err()
		})
		if !held && released.Load() {
			afterStop.Add(1)
		}
		return tl.Add(r.Value)
	})
	watch := testkit.WatchStop("consumer")
	r := testkit.RunSignalled(t, func(app *grace.App) {
		app.Add("consumer", c)
		app.Add("watch", watch)
	})
	await(t, entered, "the handler to get the first record")
	r.App.Stop("test")
	await(t, watch.Stopping(), "the consumer's stop")
	released.Store(true)
	close(release)
	rep := r.Wait(t).Report
	if rep.ExitCode != grace.ExitClean {
		t.Fatalf("exit %d:\n%s", rep.ExitCode, rep)
	}
	if ctxErrInHand != nil {
		t.Errorf("handler's ctx ended at the soft stop: %v", ctxErrInHand)
	}
	_, _, handled, _ := tl.Snapshot()
	if handled[0] != maxPoll || afterStop.Load() != maxPoll-1 {
		t.Errorf("handled %d records, %d of them after the stop began; want the batch in hand: %d, %d",
			handled[0], afterStop.Load(), maxPoll, maxPoll-1)
	}
	if got := committed(cluster, group); got != int64(handled[0]) {
		t.Errorf("committed offset %d, want %d (every record handled)", got, handled[0])
	}
	groupEmpty(t, cluster, group)
}

// TestHardStopRedelivers cuts a handler off at the cut point: the handler's ctx is cancelled
// with cause grace.ErrCut before the limit, the stop leaves the group and closes within it and
// reports a cut error counting the records handed back, the record is not committed and the
// next run handles it.
func TestHardStopRedelivers(t *testing.T) {
	const (
		n     = 20
		group = "hard"
		limit = 2 * time.Second // the cut point: 200 ms before it (the margin is clamped to a tenth)
	)
	cluster, addrs, tl := produced(t, n)
	var stuck atomic.Pointer[kgo.Record]
	entered := make(chan struct{})
	var cause atomic.Value
	c := consumerFor(addrs, group, 5, func(ctx context.Context, r *kgo.Record) error {
		if stuck.CompareAndSwap(nil, r) {
			close(entered)
			<-ctx.Done() // a handler that takes too long, but honours ctx
			cause.Store(context.Cause(ctx))
			return ctx.Err()
		}
		return tl.Add(r.Value)
	})
	r := runApp(t, "consumer", c, grace.StopTimeout(limit))
	await(t, entered, "the handler to get the first record")
	r.App.Stop("test")
	rep := r.Wait(t).Report
	cr := rep.Component("consumer")
	if cr.TimedOut || cr.Stop >= limit {
		t.Errorf("consumer %s in %v (timed out %v), want stopped within its limit %v:\n%s", cr.State, cr.Stop, cr.TimedOut, limit, rep)
	}
	if n, unit, ok := testkit.Cut(cr.Err); !ok || unit != "records" || n < 1 || n > 5 {
		t.Errorf("stop error %v: cut %d %s (a cut error: %v), want the rest of the batch (1 to 5 records)", cr.Err, n, unit, ok)
	}
	if err, _ := cause.Load().(error); !errors.Is(err, grace.ErrCut) {
		t.Errorf("handler's ctx cause %v, want grace.ErrCut", err)
	}
	select {
	case <-c.Closed():
	default:
		t.Fatal("client not closed when the stop returned")
	}
	groupEmpty(t, cluster, group)

	// The next run handles the record that was cut off.
	v := string(stuck.Load().Value)
	tl.NextRun()
	c2 := consumerFor(addrs, group, 5, handler(tl))
	r2 := runApp(t, "consumer", c2)
	tl.WaitDistinct(t, n, 20*time.Second)
	r2.App.Stop("test")
	if rep := r2.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("second run: exit %d:\n%s", rep.ExitCode, rep)
	}
	_, dups, _, _ := tl.Snapshot()
	if times := tl.Times(t, v); times != 1 {
		t.Errorf("record %s cut off at the hard stop was handled %d times after, want 1", v, times)
	}
	if dups[1] > 5 {
		t.Errorf("second run handled %d records again, more than one batch", dups[1])
	}
}

// TestPanicRestartSkipsNothing panics in the handler in the middle of a batch; the app restarts
// the worker (grace.RestartOnPanic) and every record, the rest of that batch included, is handled.
func TestPanicRestartSkipsNothing(t *testing.T) {
	const (
		n     = 200
		group = "panic"
	)
	cluster, addrs, tl := produced(t, n)
	var calls atomic.Int32
	c := consumerFor(addrs, group, 20, func(ctx context.Context, r *kgo.Record) error {
		if calls.Add(1) == 7 {
			panic("handler bug")
		}
		return tl.Add(r.Value)
	})
	r := runApp(t, "consumer", c, grace.RestartOnPanic(10*time.Millisecond, 100*time.Millisecond))
	tl.WaitDistinct(t, n, 20*time.Second)
	r.App.Stop("test")
	rep := r.Wait(t).Report
	if cr := rep.Component("consumer"); cr.Restarts != 1 {
		t.Errorf("restarts %d, want 1:\n%s", cr.Restarts, rep)
	}
	if got := committed(cluster, group); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
}

// TestHandlerErrorStopsApp: a handler's error stops the app as a crash with a HandlerError, and
// the record is delivered again to the next run.
func TestHandlerErrorStopsApp(t *testing.T) {
	const (
		n     = 30
		group = "error"
	)
	_, addrs, tl := produced(t, n)
	var failed atomic.Pointer[kgo.Record]
	boom := errors.New("boom")
	c := consumerFor(addrs, group, 10, func(ctx context.Context, r *kgo.Record) error {
		if failed.CompareAndSwap(nil, r) {
			return boom
		}
		return tl.Add(r.Value)
	})
	r := runApp(t, "consumer", c)
	res := r.Wait(t)
	rep := res.Report
	var he *gracekafka.HandlerError
	if rep.ExitCode != grace.ExitCrashed || !errors.As(res.Err, &he) || !errors.Is(res.Err, boom) {
		t.Fatalf("exit %d, error %v; want a crash with the HandlerError", rep.ExitCode, res.Err)
	}
	if he.Offset != failed.Load().Offset || he.Partition != failed.Load().Partition {
		t.Errorf("HandlerError names %d@%d, want %d@%d", he.Partition, he.Offset, failed.Load().Partition, failed.Load().Offset)
	}
	tl.NextRun()
	r2 := runApp(t, "consumer", consumerFor(addrs, group, 10, handler(tl)))
	tl.WaitDistinct(t, n, 20*time.Second)
	r2.App.Stop("test")
	r2.Wait(t)
	if tl.Times(t, string(failed.Load().Value)) != 1 {
		t.Errorf("failed record not handled by the next run")
	}
}

// TestUnreachableBrokerAtStop: the cluster goes away while the consumer runs; the stop still
// ends within the component's limit, and the client's goroutines end soon after.
func TestUnreachableBrokerAtStop(t *testing.T) {
	const limit = time.Second
	cluster := newCluster(t)
	addrs := cluster.ListenAddrs()
	produceN(t, addrs, 50)
	tl := testkit.NewLedger("record")
	tl.NextRun()
	c := consumerFor(addrs, "gone", 10, handler(tl))
	r := runApp(t, "consumer", c, grace.StopTimeout(limit))
	tl.WaitDistinct(t, 50, 20*time.Second)
	cluster.Close()
	begin := time.Now()
	r.App.Stop("test")
	rep := r.Wait(t).Report
	if took := time.Since(begin); took > limit+time.Second {
		t.Errorf("stop took %v with the broker gone, limit %v:\n%s", took, limit, rep)
	}
	t.Logf("stop with the broker gone: %v, consumer %s, error %q", rep.StopDuration, rep.Component("consumer").State, rep.Component("consumer").Error)
	select {
	case <-c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("client not closed 10s after the stop")
	}
}

func TestStartErrors(t *testing.T) {
	cluster := newCluster(t)
	addrs := cluster.ListenAddrs()
	cases := []struct {
		name string
		c    *gracekafka.Consumer
		want string
	}{
		{"no group", consumerFor(addrs, "", 10, func(context.Context, *kgo.Record) error { return nil }), "empty consumer group name"},
		{"no topics", gracekafka.NewConsumer("g", func(context.Context, *kgo.Record) error { return nil },
			gracekafka.WithClientOptions(kgo.SeedBrokers(addrs...))), "no topics"},
		{"bad batch", consumerFor(addrs, "g", 0, func(context.Context, *kgo.Record) error { return nil }), "max poll records must be positive, got 0"},
		{"nil handler", consumerFor(addrs, "g", 10, nil), "nil handler"},
		{"unreachable", consumerFor([]string{"127.0.0.1:1"}, "g", 10, func(context.Context, *kgo.Record) error { return nil }), "reach kafka brokers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { testkit.StartFails(t, tc.c, tc.want, tc.name != "unreachable") })
	}
}

// handler returns a handler that adds each record to l.
func handler(l *testkit.Ledger) gracekafka.Handler {
	return func(_ context.Context, r *kgo.Record) error { return l.Add(r.Value) }
}

// TestRestartsLoseNothing is the test: produce N records, stop the consumer mid-stream
// again and again — by App.Stop and by SIGTERM through the signal source, alternately — start
// it again each time, and check that every record was handled at least once and that no run
// handled more than one batch of records an earlier run had handled.
func TestRestartsLoseNothing(t *testing.T) {
	const n, restarts, maxPoll, group = 3000, 8, 50, "restarts"
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

	tl.CheckLog(t, n, maxPoll)
	if got := committed(cluster, group); got != n {
		t.Errorf("committed offsets sum to %d, want %d", got, n)
	}
}

// TestRollingRestart has two instances share the group, as in a rolling deployment: one is
// stopped mid-stream while the other keeps consuming, takes over its partitions after the
// rebalance and finishes the topic. The stopped instance finishes its batch, commits and leaves,
// so the other starts exactly where it stopped: no record is lost and none is handled twice.
func TestRollingRestart(t *testing.T) {
	const n, maxPoll, group = 3000, 50, "rolling"
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
	const n, restarts, maxPoll, group = 5000, 200, 10, "random"
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

// TestContracts checks the components against their doc comments — the engine interfaces — and
// the two errors that report cut records against the root sentinel and interface.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracekafka.Consumer{}, (*grace.Starter)(nil), (*grace.Runner)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil), (*grace.Validator)(nil))
	testkit.Implements(t, &gracekafka.Producer{}, (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil), (*grace.Validator)(nil))
	testkit.CutErrors(t, 2, "records", &gracekafka.CutError{Records: 2}, &gracekafka.UndeliveredError{Records: 2})
}
