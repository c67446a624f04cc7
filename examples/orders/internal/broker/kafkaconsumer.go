package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaGroup is the consumer group of the fulfilment worker.
const KafkaGroup = "orders-fulfilment"

// kafkaBatch is the most records the consumer holds at once; at a stop it finishes them.
const kafkaBatch = 32

// KafkaConsumer feeds the topic's records to a [Handler], one at a time, in a consumer group. It
// is a grace component:
//   - Start joins the group (offsets are committed by hand, after handling).
//   - Run polls a batch, handles each record (retrying a failed one with backoff: Kafka has no
//     per-record redelivery), commits the batch's offsets, and polls again.
//   - Stop (the soft stop) ends polling: the batch in hand is handled and committed, then the
//     client leaves the group and closes, and Run returns. It does not wait.
//   - At the hard stop (Run's ctx ends) handling stops; offsets of handled records are committed
//     if the brokers still answer, the rest are delivered again after a restart.
type KafkaConsumer struct {
	brokers []string
	topic   string
	handle  Handler
	log     *slog.Logger

	cl       *kgo.Client
	mu       sync.Mutex
	stopPoll context.CancelFunc
	pollCtx  context.Context
}

// NewKafkaConsumer returns a consumer of topic on brokers that calls handle.
func NewKafkaConsumer(brokers []string, topic string, handle Handler, log *slog.Logger) *KafkaConsumer {
	ctx, cancel := context.WithCancel(context.Background())
	return &KafkaConsumer{brokers: brokers, topic: topic, handle: handle, log: log, pollCtx: ctx, stopPoll: cancel}
}

// Start creates the group client.
func (c *KafkaConsumer) Start(ctx context.Context) error {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.brokers...),
		kgo.ConsumerGroup(KafkaGroup),
		kgo.ConsumeTopics(c.topic),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		return fmt.Errorf("start kafka consumer: %w", err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return fmt.Errorf("start kafka consumer: %w", err)
	}
	c.cl = cl
	return nil
}

// Run handles records until Stop or ctx.
func (c *KafkaConsumer) Run(ctx context.Context) error {
	if c.cl == nil {
		return errors.New("run kafka consumer: not started")
	}
	defer c.cl.Close() // leaves the group
	stopHard := context.AfterFunc(ctx, c.stopPoll)
	defer stopHard()
	for {
		fetches := c.cl.PollRecords(c.pollCtx, kafkaBatch)
		if fetches.IsClientClosed() {
			return nil
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.Canceled) {
				c.log.Warn("kafka consumer: fetch", "topic", fe.Topic, "partition", fe.Partition, "error", fe.Err)
			}
		}
		var done []*kgo.Record
		for _, r := range fetches.Records() {
			if !c.handleWithRetry(ctx, r) {
				break // hard stop: the rest is delivered again after a restart
			}
			done = append(done, r)
		}
		if len(done) > 0 {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := c.cl.CommitRecords(cctx, done...); err != nil {
				c.log.Warn("kafka consumer: commit failed; records will be delivered again", "error", err)
			}
			cancel()
		}
		if c.pollCtx.Err() != nil || ctx.Err() != nil {
			return nil
		}
	}
}

// handleWithRetry handles r, retrying with backoff until it succeeds (true) or ctx ends (false).
func (c *KafkaConsumer) handleWithRetry(ctx context.Context, r *kgo.Record) bool {
	backoff := 50 * time.Millisecond
	for {
		err := c.handle(ctx, string(r.Value))
		if err == nil {
			return true
		}
		c.log.Warn("kafka consumer: handler failed; retrying", "partition", r.Partition, "offset", r.Offset, "error", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// Stop ends polling; Run finishes the batch in hand, commits it and returns.
func (c *KafkaConsumer) Stop(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopPoll()
	return nil
}
