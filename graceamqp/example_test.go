package graceamqp_test

import (
	"context"
	"log"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	amqp "github.com/rabbitmq/amqp091-go"
)

// A service that consumes a queue: the connection is added first so it closes last; the consumer
// finishes the order in hand at a SIGTERM and hands back what the broker sent ahead.
func ExampleConsumer() {
	conn, err := amqp.Dial("amqp://guest:guest@127.0.0.1:5672/")
	if err != nil {
		log.Fatal(err)
	}
	app := grace.New()
	app.Add("amqp", graceamqp.NewConn(conn), grace.StopTimeout(3*time.Second))
	app.Add("orders", graceamqp.NewConsumer(conn, "orders", func(ctx context.Context, d amqp.Delivery) error {
		return fulfil(ctx, d.Body) // nil: acked; an error: handed back, and the app stops
	}, graceamqp.WithPrefetch(20)), grace.DependsOn("amqp"), grace.StopTimeout(10*time.Second))
	app.Main()
}

func fulfil(ctx context.Context, order []byte) error { return nil }
