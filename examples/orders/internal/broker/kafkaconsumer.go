package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaGroup is the consumer group of the fulfilment worker.
const KafkaGroup = "orders-fulfilment"

// kafkaSessionTimeout is how long the group waits for a member that stopped answering (a crash)
// before giving its partitions to another.
const kafkaSessionTimeout = 6 * time.Second

// kafkaRebalanceTimeout is how long a rebalance waits for the group's members to rejoin.
const kafkaRebalanceTimeout = 8 * time.Second

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
	brokers    []string
	topic      string
	instanceID string
	handle     Handler
	log        *slog.Logger

	cl       *kgo.Client
	stopPoll context.CancelFunc
	pollCtx  context.Context
}

// NewKafkaConsumer returns a consumer of topic on brokers that calls handle.
//
// instanceID, if not empty, makes the consumer a static member of the group (Kafka's KIP-345): an
// instance restarted with the same id takes its partitions back at once, without a rebalance,
// and a stopping one does not leave the group. Give each instance a stable id of its own (a
// StatefulSet pod's name, say); two running instances with one id fence each other.
func NewKafkaConsumer(brokers []string, topic, instanceID string, handle Handler, log *slog.Logger) *KafkaConsumer {
	ctx, cancel := context.WithCancel(context.Background())
	return &KafkaConsumer{brokers: brokers, topic: topic, instanceID: instanceID, handle: handle, log: log,
		pollCtx: ctx, stopPoll: cancel}
}

// Start creates the group client.
func (c *KafkaConsumer) Start(ctx context.Context) error {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.brokers...),
		kgo.ConsumerGroup(KafkaGroup),
		kgo.ConsumeTopics(c.topic),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500 * time.Millisecond),
		// A crashed member's partitions move on sooner: the group waits for a silent member for the
		// session timeout, and a rebalance waits for every known member for the rebalance timeout
		// (franz-go's defaults, 45 s and 60 s, would stall fulfilment that long after a crash).
		kgo.SessionTimeout(kafkaSessionTimeout),
		kgo.RebalanceTimeout(kafkaRebalanceTimeout),
	}
	if c.instanceID != "" {
		opts = append(opts, kgo.InstanceID(c.instanceID))
	}
	cl, err := kgo.NewClient(opts...)
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
	defer c.close(ctx)
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

// kafkaLeaveTimeout bounds leaving the group and closing at the stop. While the group waits for
// a crashed member's session to time out, franz-go's leave (and Close, which leaves too) waits
// for the join in progress — up to the session timeout. Past this bound the close goes on in the
// background and the stop moves on: the group drops this member on its own, and the offsets that
// matter were committed already.
const kafkaLeaveTimeout = 2 * time.Second

// close leaves the group and closes the client, waiting at most kafkaLeaveTimeout.
func (c *KafkaConsumer) close(ctx context.Context) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), kafkaLeaveTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.cl.LeaveGroupContext(lctx)
		c.cl.Close()
	}()
	select {
	case <-done:
	case <-lctx.Done():
		c.log.Warn("kafka consumer: leaving the group takes longer than the bound; closing in the background",
			"bound", kafkaLeaveTimeout)
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
	c.stopPoll()
	return nil
}
