package gracenats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracenats"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A service that consumes orders from a JetStream stream. The connection is added first, so the
// consumer, which uses it, stops first: it stops pulling, finishes the order in hand, hands back
// the orders pulled ahead and flushes its acks; then the connection drains and closes.
func Example() {
	url, stopServer := exampleServer()
	defer stopServer()
	nc, err := nats.Connect(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	stream := uniqueName("ORDERS")
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{stream + ".>"}}); err != nil {
		fmt.Println(err)
		return
	}
	defer deleteStream(url, stream)
	if _, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "billing", AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		fmt.Println(err)
		return
	}

	handled := make(chan struct{}, 3)
	app := grace.New(grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Add("nats", gracenats.NewConn(nc)) // added first: drains and closes last
	app.Add("billing", gracenats.NewConsumer(js, stream, "billing",
		func(ctx context.Context, msg jetstream.Msg) error {
			fmt.Printf("order %s\n", msg.Data())
			handled <- struct{}{}
			return nil // acked by the consumer
		}))
	go func() {
		<-app.Await(grace.PhaseReady)
		for _, id := range []string{"A-1", "A-2", "A-3"} {
			js.Publish(ctx, stream+".new", []byte(id))
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
	rep, err := app.Run(ctx)
	fmt.Println("error:", err)
	fmt.Println("billing:", rep.Component("billing").State, "; nats:", rep.Component("nats").State, "; connection closed:", nc.IsClosed())
	fmt.Println("orders not acked:", unacked(url, stream, "billing"))
	// Output:
	// order A-1
	// order A-2
	// order A-3
	// error: <nil>
	// billing: stopped ; nats: stopped ; connection closed: true
	// orders not acked: 0
}

// exampleServer returns the URL of the tests' nats-server (GRACE_TEST_NATS_URL), or starts the
// Debian nats-server for the example.
func exampleServer() (string, func()) {
	if u := os.Getenv("GRACE_TEST_NATS_URL"); u != "" {
		return u, func() {}
	}
	dir, err := os.MkdirTemp("", "gracenats-example")
	if err != nil {
		return "", func() {}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", func() {}
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "store"))
	if err := cmd.Start(); err != nil {
		fmt.Println("start nats-server:", err)
		return "", func() {}
	}
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
			c.Close()
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	return "nats://" + l.Addr().String(), func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	}
}

func unacked(url, stream, consumer string) any {
	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return err
	}
	return info.NumAckPending + int(info.NumPending)
}

func deleteStream(url, stream string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	js.DeleteStream(ctx, stream)
}
