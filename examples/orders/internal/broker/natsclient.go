package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/gracekit/grace/gracenats"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream names.
const (
	NATSStream  = "ORDERS"
	NATSSubject = "orders.accepted"
	NATSDurable = "fulfilment"
	// NATSAckWait is how long an unacknowledged delivery waits before JetStream sends it again
	// (after a crash; a graceful stop finishes or naks what it holds).
	NATSAckWait = 10 * time.Second
)

// NATS is a JetStream client: a [Publisher], and the source of a [NATSConsumer]. It is a grace
// component: Start connects and declares the stream and the durable consumer; Stop drains the
// connection through gracenats.Conn (buffered publishes, acks and naks reach the server, then it
// closes), bounded by the stop's deadline.
type NATS struct {
	provider func() nats.InProcessConnProvider // the embedded server, known only once started
	url      string
	nc       *nats.Conn
	conn     *gracenats.Conn
	js       jetstream.JetStream
}

// NewNATS returns a client for the embedded server (connected in-process at Start).
func NewNATS(srv *NATSServer) *NATS {
	return &NATS{provider: func() nats.InProcessConnProvider { return srv.Server() }}
}

// NewNATSURL returns a client for a NATS server at url.
func NewNATSURL(url string) *NATS { return &NATS{url: url} }

// Start connects and makes sure the stream and the consumer exist.
func (n *NATS) Start(ctx context.Context) error {
	opts := []nats.Option{nats.Name("orders"), nats.MaxReconnects(-1)}
	url := n.url
	if n.provider != nil {
		opts = append(opts, nats.InProcessServer(n.provider()))
		url = ""
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("connect nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("connect jetstream: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       NATSStream,
		Subjects:   []string{NATSSubject},
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute, // a retried publish of the same order is stored once
	}); err != nil {
		nc.Close()
		return fmt.Errorf("declare stream %s: %w", NATSStream, err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, NATSStream, jetstream.ConsumerConfig{
		Durable:   NATSDurable,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   NATSAckWait,
	}); err != nil {
		nc.Close()
		return fmt.Errorf("declare consumer %s: %w", NATSDurable, err)
	}
	n.nc, n.js = nc, js
	n.conn = gracenats.NewConn(nc)
	return n.conn.Start(ctx)
}

// Publish stores the order id in the stream and waits for JetStream's acknowledgement. The
// message id is the order id, so a retried publish is stored once.
func (n *NATS) Publish(ctx context.Context, orderID string) error {
	if _, err := n.js.Publish(ctx, NATSSubject, []byte(orderID), jetstream.WithMsgID(orderID)); err != nil {
		return fmt.Errorf("publish order: %w", err)
	}
	return nil
}

// Stop drains the connection and closes it, within ctx.
func (n *NATS) Stop(ctx context.Context) error {
	if n.conn == nil {
		return nil
	}
	return n.conn.Stop(ctx)
}

// Close closes the connection at once.
func (n *NATS) Close() error {
	if n.nc != nil {
		n.nc.Close()
	}
	return nil
}
