package gracekafka_test

import (
	"context"
	"errors"
	"strconv"
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

// These tests are written from the package doc alone, in the shape of a service that uses it: a
// producer app writes orders to the broker, a consumer app handles them. Each tries to lose work
// and checks that the report admits what the stop left undone.

// TestUserProducerBrokerGoneReportsLost: the orders service produces records asynchronously,
// as a request handler would, through a Producer; the broker goes away; at the stop the records
// cannot be acknowledged. The report counts each as lost, the exit code is grace.ExitLost and
// Run's error matches grace.ErrLost — never a clean exit.
func TestUserProducerBrokerGoneReportsLost(t *testing.T) {
	const n = 50
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	app := testkit.NewApp()
	app.Add("kafka", gracekafka.NewProducer(cl), grace.StopTimeout(500*time.Millisecond))
	r := testkit.Run(t, app)
	r.Ready(t)

	// Some orders are acknowledged while the broker is there...
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("acked")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// ...the rest are accepted by the client after the broker is gone.
	cluster.Close()
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
			}
			wg.Done()
		})
	}
	app.Stop("deploy")
	res := r.Wait(t)
	wg.Wait()
	rep := res.Report
	if rep.ExitCode != grace.ExitLost || !errors.Is(res.Err, grace.ErrLost) {
		t.Fatalf("exit %d, error %v; want ExitLost and ErrLost:\n%s", rep.ExitCode, res.Err, rep)
	}
	if rep.Lost != n || failed.Load() != n {
		t.Errorf("report lost %d, promises failed %d; want %d each:\n%s", rep.Lost, failed.Load(), n, rep)
	}
	if acc := rep.Component("kafka").Account; acc.Unit != "records" || acc.Lost != n {
		t.Errorf("producer's account %+v, want %d records lost", acc, n)
	}
}

// TestUserConsumerCutReportsHandedBack: a consumer whose handler outlives the stop limit is cut
// at the deadline. What it had fetched and not committed is handed back — the next instance gets
// it — so the report counts it as handed back, nothing as lost, and the exit code is not
// ExitLost. The next run handles exactly what was handed back, once.
func TestUserConsumerCutReportsHandedBack(t *testing.T) {
	const (
		n       = 40
		maxPoll = 10
		group   = "user-cut"
	)
	_, addrs, tl := produced(t, n)
	var calls atomic.Int32
	slow := make(chan struct{})
	c := consumerFor(addrs, group, maxPoll, func(ctx context.Context, r *kgo.Record) error {
		if calls.Add(1) == 3 { // the third record takes longer than the stop allows
			close(slow)
			<-ctx.Done()
			return ctx.Err()
		}
		return tl.Add(r.Value)
	})
	app := testkit.NewApp()
	app.Add("orders", c, grace.StopTimeout(300*time.Millisecond))
	r := testkit.Run(t, app)
	testkit.Await(t, slow, 20*time.Second, "the slow record")
	app.Stop("deploy")
	rep := r.Wait(t).Report
	acc := rep.Component("orders").Account
	if rep.ExitCode == grace.ExitLost || rep.Lost != 0 || acc.Lost != 0 {
		t.Fatalf("exit %d, lost %d; want nothing lost:\n%s", rep.ExitCode, rep.Lost, rep)
	}
	testkit.Await(t, c.Closed(), 10*time.Second, "the client to close")
	_, _, handled, _ := tl.Snapshot()
	handBack := c.Account().HandedBack
	if acc.Unit != "records" || handBack < int64(maxPoll-2) || handBack != int64(n-handled[0]) {
		t.Errorf("handed back %d records (report %+v), first run handled %d of %d; want the rest, at least the %d left of the batch",
			handBack, acc, handled[0], n, maxPoll-2)
	}

	tl.NextRun()
	r2 := runApp(t, "orders", consumerFor(addrs, group, maxPoll, handler(tl)))
	tl.WaitDistinct(t, n, 20*time.Second)
	r2.App.Stop("test")
	if rep := r2.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("second run: exit %d:\n%s", rep.ExitCode, rep)
	}
	if _, dups, handled, _ := tl.Snapshot(); dups[1] != 0 || int64(handled[1]) != handBack {
		t.Errorf("second run handled %d records (%d again), want the %d handed back, once", handled[1], dups[1], handBack)
	}
}
