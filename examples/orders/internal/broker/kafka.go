package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/gracekit/grace/gracekafka"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaPartitions is the partition count of the topic the service creates when it is missing.
const KafkaPartitions = 3

// Kafka is a producer of accepted orders to a Kafka topic, over gracekafka.Producer. It is a
// grace component: Start reaches the brokers and creates the topic if it is missing; Stop
// flushes what is buffered and closes the client, bounded by the stop's deadline.
type Kafka struct {
	topic string
	cl    *kgo.Client
	prod  *gracekafka.Producer
}

// NewKafka returns a producer to topic on brokers. It does not connect.
func NewKafka(brokers []string, topic string) (*Kafka, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	return &Kafka{topic: topic, cl: cl, prod: gracekafka.NewProducer(cl)}, nil
}

// Start reaches the brokers and makes sure the topic exists.
func (k *Kafka) Start(ctx context.Context) error {
	if err := k.prod.Start(ctx); err != nil {
		k.cl.Close()
		return err
	}
	if err := ensureTopic(ctx, k.cl, k.topic); err != nil {
		k.cl.Close()
		return fmt.Errorf("start kafka producer: %w", err)
	}
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

// Stop flushes buffered records and closes the client, within ctx.
func (k *Kafka) Stop(ctx context.Context) error { return k.prod.Stop(ctx) }

// Close closes the client at once, flushing nothing.
func (k *Kafka) Close() error {
	k.cl.Close()
	return nil
}
