package gracegrpc

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// healthPrefix begins the full names of the health service's methods, which do not count as
// traffic for the quiet period.
const healthPrefix = "/grpc.health.v1.Health/"

// call is one RPC in flight.
type call struct {
	method string
	kind   string
	start  time.Time
	work   bool // not a health service call: counted as lost when cut
}

// Kinds of RPC, as a [CutError] names them.
const (
	KindUnary        = "unary"
	KindServerStream = "server stream"
	KindClientStream = "client stream"
	KindBidiStream   = "bidi stream"
)

func (s *Server) track(method, kind string) *call {
	c := &call{method: method, kind: kind, start: time.Now(), work: !strings.HasPrefix(method, healthPrefix)}
	if c.work {
		s.quiet.Arrived(c.start)
	}
	s.mu.Lock()
	s.calls[c] = struct{}{}
	s.mu.Unlock()
	return c
}

func (s *Server) untrack(c *call) {
	s.mu.Lock()
	delete(s.calls, c)
	if s.cut && c.work {
		s.cutEnded++
	}
	s.mu.Unlock()
}

// unaryInterceptor counts the call in flight and puts the drain channel in its context.
func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	c := s.track(info.FullMethod, KindUnary)
	defer s.untrack(c)
	return handler(context.WithValue(ctx, drainKey{}, s.drainCh), req)
}

// streamInterceptor counts the stream in flight and puts the drain channel in its context; health
// Watch streams are also made endable (see watchStream).
func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	c := s.track(info.FullMethod, streamKind(info))
	defer s.untrack(c)
	ctx := context.WithValue(ss.Context(), drainKey{}, s.drainCh)
	if info.FullMethod != healthgrpc.Health_Watch_FullMethodName {
		return handler(srv, &drainStream{ServerStream: ss, ctx: ctx})
	}
	w := s.addWatch(ctx, ss)
	defer s.removeWatch(w)
	err := handler(srv, w)
	if errors.Is(context.Cause(w.ctx), errWatchEnded) {
		return status.Error(codes.Unavailable, "server is draining: health watch ended after NOT_SERVING")
	}
	return err
}

func streamKind(info *grpc.StreamServerInfo) string {
	switch {
	case info.IsClientStream && info.IsServerStream:
		return KindBidiStream
	case info.IsClientStream:
		return KindClientStream
	default:
		return KindServerStream
	}
}

// drainStream is a server stream whose context carries the drain channel.
type drainStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (d *drainStream) Context() context.Context { return d.ctx }
