package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaPartitions is the partition count of the topic the service creates when it is missing.
const KafkaPartitions = 3

// Kafka is a producer of accepted orders to a Kafka topic. It is a grace component: Start
// connects and creates the topic if it is missing, Stop flushes what is buffered and closes.
type Kafka struct {
	brokers []string
	topic   string
	cl      *kgo.Client
}

// NewKafka returns a producer to topic on brokers.
func NewKafka(brokers []string, topic string) *Kafka { return &Kafka{brokers: brokers, topic: topic} }

// Start connects and makes sure the topic exists.
func (k *Kafka) Start(ctx context.Context) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...), kgo.DefaultProduceTopic(k.topic),
		kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return fmt.Errorf("start kafka producer: %w", err)
	}
	if err := ensureTopic(ctx, cl, k.topic); err != nil {
		cl.Close()
		return fmt.Errorf("start kafka producer: %w", err)
	}
	k.cl = cl
	return nil
}

func ensureTopic(ctx context.Context, cl *kgo.Client, topic string) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topic
	t.NumPartitions = KafkaPartitions
	t.ReplicationFactor = 1
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	return nil
}

// Publish produces the order id (as key and value) and waits for the brokers' acknowledgement.
func (k *Kafka) Publish(ctx context.Context, orderID string) error {
	r := &kgo.Record{Key: []byte(orderID), Value: []byte(orderID)}
	if err := k.cl.ProduceSync(ctx, r).FirstErr(); err != nil {
		return fmt.Errorf("publish order: %w", err)
	}
	return nil
}

// Stop flushes buffered records (bounded by ctx) and closes the client.
func (k *Kafka) Stop(ctx context.Context) error {
	if k.cl == nil {
		return nil
	}
	err := k.cl.Flush(ctx)
	k.cl.Close()
	if err != nil {
		return fmt.Errorf("stop kafka producer: flush: %w", err)
	}
	return nil
}
