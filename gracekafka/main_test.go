package gracekafka_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

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
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	goleak.VerifyTestMain(m)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatalf("start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// produceN writes records whose values are 0..n-1 and waits for each to be acknowledged.
func produceN(t *testing.T, addrs []string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
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

// tally counts how often each record value was handled, per run of the consumer.
type tally struct {
	mu       sync.Mutex
	counts   map[int]int
	run      int
	dups     []int // dups[i]: records run i handled that an earlier run (or itself) had handled
	handled  []int // handled[i]: records run i handled
	distinct int
	changed  chan struct{}
}

func newTally() *tally { return &tally{counts: map[int]int{}, changed: make(chan struct{})} }

// nextRun starts counting a new run of the consumer.
func (t *tally) nextRun() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dups = append(t.dups, 0)
	t.handled = append(t.handled, 0)
	t.run = len(t.dups) - 1
}

func (t *tally) add(r *kgo.Record) error {
	v, err := strconv.Atoi(string(r.Value))
	if err != nil {
		return fmt.Errorf("record value %q: %w", r.Value, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts[v] > 0 {
		t.dups[t.run]++
	} else {
		t.distinct++
	}
	t.counts[v]++
	t.handled[t.run]++
	close(t.changed)
	t.changed = make(chan struct{})
	return nil
}

// waitDistinct waits until at least n distinct records were handled.
func (t *tally) waitDistinct(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		t.mu.Lock()
		d, ch := t.distinct, t.changed
		t.mu.Unlock()
		if d >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("only %d distinct records handled after %v, want %d", d, timeout, n)
		}
	}
}

func (t *tally) snapshot() (distinct int, dups, handled []int, counts map[int]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := make(map[int]int, len(t.counts))
	for k, v := range t.counts {
		c[k] = v
	}
	return t.distinct, append([]int(nil), t.dups...), append([]int(nil), t.handled...), c
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
