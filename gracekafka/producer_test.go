package gracekafka_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracekafka"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func stored(c *kfake.Cluster) int64 {
	var n int64
	for _, p := range c.PartitionInfos(topic) {
		n += p.HighWatermark
	}
	return n
}

// produceAsync produces n records without waiting and returns a function that waits for every
// promise and returns their errors.
func produceAsync(cl *kgo.Client, n int) func() []error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range n {
		wg.Add(1)
		cl.Produce(context.Background(), &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	return func() []error { wg.Wait(); return errs }
}

// TestProducerFlushesAtStop: records produced just before the stop, still lingering in the
// client's buffer, all reach the broker before the client closes.
func TestProducerFlushesAtStop(t *testing.T) {
	const n = 1000
	cluster := newCluster(t)
	cl := producerClient(t, cluster.ListenAddrs(), kgo.ProducerLinger(time.Minute)) // without a flush, nothing would be sent for a minute
	p := gracekafka.NewProducer(cl)
	r := runApp(t, "producer", p)
	wait := produceAsync(p.Client(), n)
	r.App.Stop("test")
	rep := r.Wait(t).Report
	if rep.ExitCode != grace.ExitClean {
		t.Fatalf("exit %d:\n%s", rep.ExitCode, rep)
	}
	if errs := wait(); len(errs) > 0 {
		t.Fatalf("%d records failed, first: %v", len(errs), errs[0])
	}
	if got := stored(cluster); got != n {
		t.Errorf("broker holds %d records, want %d", got, n)
	}
	select {
	case <-p.Closed():
	default:
		t.Error("Stop returned before the client closed")
	}
}

// TestProducerUnreachableAtStop: with the broker gone, the flush cannot finish; the stop ends
// at the component's limit and reports how many records were not delivered.
func TestProducerUnreachableAtStop(t *testing.T) {
	const (
		n     = 100
		limit = 500 * time.Millisecond
	)
	cluster := newCluster(t)
	cl := producerClient(t, cluster.ListenAddrs())
	p := gracekafka.NewProducer(cl)
	r := runApp(t, "producer", p, grace.StopTimeout(limit))
	cluster.Close()
	wait := produceAsync(cl, n)
	begin := time.Now()
	r.App.Stop("test")
	res := r.Wait(t)
	rep := res.Report
	if took := time.Since(begin); took > limit+time.Second {
		t.Errorf("stop took %v with the broker gone, limit %v", took, limit)
	}
	var ue *gracekafka.UndeliveredError
	if !errors.As(res.Err, &ue) || !errors.Is(res.Err, gracekafka.ErrUndelivered) || !errors.Is(res.Err, context.DeadlineExceeded) || !cutRecords(ue, ue.Records) {
		t.Fatalf("error %v, want an UndeliveredError caused by the stop deadline:\n%s", res.Err, rep)
	}
	errs := wait()
	t.Logf("stop with the broker gone: %v (limit %v); error %q", rep.StopDuration.Round(time.Millisecond), limit, rep.Component("producer").Error)
	if ue.Records != n || len(errs) != n {
		t.Errorf("UndeliveredError counts %d records, %d promises failed; want %d", ue.Records, len(errs), n)
	}
	select {
	case <-p.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("client not closed 10s after the stop")
	}
}

func TestProducerStartFails(t *testing.T) {
	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	app := grace.New(grace.WithSignals(), grace.WithLogger(testkit.QuietLogger()), grace.WithStartTimeout(2*time.Second))
	app.Add("producer", gracekafka.NewProducer(cl))
	rep, err := app.Run(context.Background())
	if rep.ExitCode != grace.ExitStartFailed || err == nil {
		t.Fatalf("exit %d, error %v; want a failed start", rep.ExitCode, err)
	}
	t.Logf("start error: %v", err)
}
