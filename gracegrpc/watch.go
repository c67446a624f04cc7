package gracegrpc

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// errWatchEnded is the cause given to a health Watch stream's context when the drain ends it.
var errWatchEnded = errors.New("gracegrpc: draining")

// watchStream wraps a health Watch stream. grpc's health service loops in Watch until the
// stream's context ends, and health.Server.Shutdown does not end it, so a watcher would hold
// GracefulStop until the hard stop (grpc-go #8776, #8882). The wrapper watches what Watch sends:
// once the drain has begun and the stream has sent a status other than SERVING, it cancels the
// context Watch sees, and Watch returns. Clients so always receive NOT_SERVING before the end.
type watchStream struct {
	grpc.ServerStream
	ctx    context.Context
	cancel context.CancelCauseFunc
	s      *Server
	done   chan struct{} // closed when the Watch handler has returned

	notServing bool // guarded by s.mu: the last status sent was not SERVING
}

func (w *watchStream) Context() context.Context { return w.ctx }

// SendMsg sends, then ends the stream if it just told a draining client "not serving".
func (w *watchStream) SendMsg(m any) error {
	err := w.ServerStream.SendMsg(m)
	resp, ok := m.(*healthpb.HealthCheckResponse)
	if !ok || err != nil {
		return err
	}
	w.s.mu.Lock()
	w.notServing = resp.GetStatus() != healthpb.HealthCheckResponse_SERVING
	end := w.notServing && w.s.draining
	w.s.mu.Unlock()
	if end {
		w.cancel(errWatchEnded)
	}
	return nil
}

func (s *Server) addWatch(ctx context.Context, ss grpc.ServerStream) *watchStream {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchStream{ServerStream: ss, ctx: ctx, cancel: cancel, s: s, done: make(chan struct{})}
	s.mu.Lock()
	s.watches[w] = struct{}{}
	s.mu.Unlock()
	return w
}

func (s *Server) removeWatch(w *watchStream) {
	s.mu.Lock()
	delete(s.watches, w)
	s.mu.Unlock()
	w.cancel(nil)
	close(w.done)
}

// endWatches ends the given Watch streams now, whatever they last sent.
func (s *Server) endWatches(ws []*watchStream) {
	for _, w := range ws {
		w.cancel(errWatchEnded)
	}
}
