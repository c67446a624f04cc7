package broker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSServer is a NATS server with JetStream embedded in the process, storing its streams under
// a directory, listening on no network port (clients connect in-process). It is a grace
// component: Start brings it up, Stop shuts it down and waits for its goroutines.
type NATSServer struct {
	dir string
	srv *server.Server
}

// NewNATSServer returns an embedded server that stores its data in dir/nats.
func NewNATSServer(dir string) *NATSServer { return &NATSServer{dir: filepath.Join(dir, "nats")} }

// Start starts the server and waits until it accepts connections (or ctx ends).
func (s *NATSServer) Start(ctx context.Context) error {
	srv, err := server.NewServer(&server.Options{
		ServerName: "orders",
		DontListen: true, // in-process connections only
		JetStream:  true,
		StoreDir:   s.dir,
		NoSigs:     true, // signals belong to grace, not to the embedded server
		NoLog:      true,
	})
	if err != nil {
		return fmt.Errorf("start nats server: %w", err)
	}
	go srv.Start()
	deadline := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d)
	}
	if !srv.ReadyForConnections(deadline) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return errors.New("start nats server: not ready in time")
	}
	s.srv = srv
	return nil
}

// Server returns the running server, for in-process connections.
func (s *NATSServer) Server() *server.Server { return s.srv }

// Stop shuts the server down (JetStream flushes its store) and waits for it, or for ctx.
func (s *NATSServer) Stop(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	done := make(chan struct{})
	go func() {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop nats server: %w", context.Cause(ctx))
	}
}
