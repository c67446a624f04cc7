// Package broker carries accepted orders from the HTTP handlers to the fulfilment worker: NATS
// JetStream embedded in the process by default, Kafka when brokers are given. Delivery is at
// least once; the handler must be idempotent.
package broker

import "context"

// Publisher publishes the id of an accepted order. Publish returns only once the broker has
// stored the message (JetStream's ack, Kafka's produce response), or with an error.
type Publisher interface {
	Publish(ctx context.Context, orderID string) error
}

// Handler handles one delivered order id. A nil error acknowledges the message; an error leaves
// it to be delivered again. ctx ends only at the consumer's hard stop.
type Handler func(ctx context.Context, orderID string) error
