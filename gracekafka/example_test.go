package gracekafka_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracekafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A service that consumes orders and produces an invoice for each. The consumer uses the
// producer, so it is added after it: at the stop the consumer stops first — it stops polling,
// finishes its batch, commits, leaves its group — and only then does the producer flush what is
// still buffered and close.
//
// No Kafka broker can be installed where this example runs, so it starts kfake, franz-go's
// in-process cluster, which speaks the real Kafka protocol on a real socket. In a service,
// kgo.SeedBrokers names your brokers.
func Example() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders", "invoices"))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		panic(err)
	}
	producer := gracekafka.NewProducer(cl)

	handled := make(chan struct{}, 3)
	consumer := gracekafka.NewConsumer("billing",
		func(ctx context.Context, r *kgo.Record) error {
			fmt.Printf("order %s\n", r.Value)
			// Waiting for the invoice's acknowledgement before returning keeps the pipeline at
			// least once: the order's offset is committed only after its invoice is stored.
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "invoices", Value: r.Value}).FirstErr(); err != nil {
				return err
			}
			handled <- struct{}{}
			return nil
		},
		gracekafka.WithClientOptions(
			kgo.SeedBrokers(brokers...),
			kgo.ConsumeTopics("orders"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		),
	)

	app := grace.New(grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Add("producer", producer)
	app.Add("consumer", consumer) // depends on the producer: added after it
	go func() {
		<-app.Await(grace.PhaseReady)
		for _, id := range []string{"A-1", "A-2", "A-3"} {
			cl.Produce(context.Background(), &kgo.Record{Topic: "orders", Value: []byte(id)}, nil)
		}
		for range 3 {
			select {
			case <-handled:
			case <-time.After(20 * time.Second):
				fmt.Println("orders not handled after 20s")
			}
		}
		app.Stop("example") // as SIGTERM would
	}()
	rep, err := app.Run(context.Background())
	fmt.Println("error:", err)
	fmt.Println("consumer:", rep.Component("consumer").State, "; producer:", rep.Component("producer").State)
	fmt.Println("invoices stored:", cluster.PartitionInfo("invoices", 0).HighWatermark)
	// Output:
	// order A-1
	// order A-2
	// order A-3
	// error: <nil>
	// consumer: stopped ; producer: stopped
	// invoices stored: 3
}
