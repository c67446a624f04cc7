package gracekafka_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"
)

// No Kafka broker can be installed on the machines these tests run on. kfake is franz-go's
// in-process cluster: it listens on real sockets and speaks the real Kafka protocol (produce,
// fetch, groups, joins, offset commits, leave), so the consumer and producer run the same code
// against it as against a broker.

const topic = "events"

func TestMain(m *testing.M) {
	testkit.RunChild(childEnv, childMain)
	goleak.VerifyTestMain(m)
}

func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatalf("start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// produced starts a cluster (newCluster), produces the values 0..n-1 to topic, and returns the
// cluster, its addresses and a ledger for the records, counting towards its first run.
func produced(t *testing.T, n int) (*kfake.Cluster, []string, *testkit.Ledger) {
	t.Helper()
	cluster := newCluster(t)
	addrs := cluster.ListenAddrs()
	produceN(t, addrs, n)
	tl := testkit.NewLedger("record")
	tl.NextRun()
	return cluster, addrs, tl
}

// producerClient returns a client of the brokers at addrs that produces to topic, with opts
// after those options. Whoever takes it closes it (a Producer does at its stop).
func producerClient(t *testing.T, addrs []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// produceN writes records whose values are 0..n-1 and waits for each to be acknowledged.
func produceN(t *testing.T, addrs []string, n int) {
	t.Helper()
	cl := producerClient(t, addrs)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: []byte(strconv.Itoa(i % 7)), Value: []byte(strconv.Itoa(i))}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce %d records: %v", n, err)
	}
}

// cutRecords reports whether err is a cut error (grace.ErrCut, grace.CutError) counting n records.
func cutRecords(err error, n int64) bool {
	got, unit, ok := testkit.Cut(err)
	return ok && unit == "records" && int64(got) == n
}
