package broker

import (
	"context"
	"log/slog"
	"time"

	"github.com/gracekit/grace/gracekafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaGroup is the consumer group of the fulfilment worker.
const KafkaGroup = "orders-fulfilment"

// Kafka consumer settings.
const (
	// kafkaBatch is the most records the consumer holds at once; at a stop it finishes them.
	kafkaBatch = 32
	// kafkaSessionTimeout is how long the group waits for a member that stopped answering (a
	// crash) before giving its partitions to another; kafkaRebalanceTimeout, how long a
	// rebalance waits for the members to rejoin. franz-go's defaults, 45 s and 60 s, would stall
	// fulfilment that long after a crash.
	kafkaSessionTimeout   = 6 * time.Second
	kafkaRebalanceTimeout = 8 * time.Second
)

// NewKafkaConsumer returns the fulfilment consumer of topic on brokers: a gracekafka.Consumer (a
// grace component) that hands each record to handle, commits after each batch, and at its turn to
// stop finishes the batch in hand, commits, leaves the group and closes — each step bounded.
//
// handle is retried with backoff until it succeeds (Kafka has no per-record redelivery, and a
// failing handler must not stop the app) or the hard stop ends its ctx; then the record is not
// committed and is delivered again after the restart.
//
// instanceID, if not empty, makes the consumer a static member of the group (Kafka's KIP-345): an
// instance restarted with the same id takes its partitions back at once, without waiting for the
// old member's session to expire. Give each instance a stable id of its own (a StatefulSet pod's
// name, say); two running instances with one id fence each other.
func NewKafkaConsumer(brokers []string, topic, instanceID string, handle Handler, log *slog.Logger) *gracekafka.Consumer {
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.SessionTimeout(kafkaSessionTimeout),
		kgo.RebalanceTimeout(kafkaRebalanceTimeout),
	}
	if instanceID != "" {
		opts = append(opts, kgo.InstanceID(instanceID))
	}
	retrying := func(ctx context.Context, r *kgo.Record) error {
		backoff := 50 * time.Millisecond
		for {
			err := handle(ctx, string(r.Value))
			if err == nil {
				return nil
			}
			log.Warn("kafka consumer: handler failed; retrying", "partition", r.Partition, "offset", r.Offset, "error", err)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return context.Cause(ctx) // the hard stop: not committed, delivered again
			}
			backoff = min(2*backoff, 2*time.Second)
		}
	}
	return gracekafka.NewConsumer(KafkaGroup, retrying,
		gracekafka.WithClientOptions(opts...),
		gracekafka.WithMaxPollRecords(kafkaBatch),
		gracekafka.WithLogger(log))
}
