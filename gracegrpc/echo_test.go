package gracegrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/gracekit/grace/gracegrpc"
	"github.com/gracekit/grace/internal/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The test service, described by hand so no generated code is needed: its messages are
// google.protobuf.StringValue, which grpc's default proto codec handles.
//
//	Hold    unary          waits until released, echoes the request
//	Sleep   unary          sleeps for the duration in the request ("200ms") or until its context
//	                       ends, echoes the request
//	Count   server stream  sends "1", waits until released, sends "2", "3"
//	Follow  server stream  sends "tick" until the drain, then "bye", and ends
//	Forever server stream  sends "hello", then waits for its context to end
//	Stubborn server stream  sends "hello", then ignores its context until released
const echoService = "grace.test.Echo"

type echo struct {
	started chan string   // receives the method's name when a handler starts
	release chan struct{} // closed to let Hold and Count finish
}

func newEcho() *echo {
	return &echo{started: make(chan string, 100), release: make(chan struct{})}
}

func (e *echo) hold(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	e.started <- "Hold"
	select {
	case <-e.release:
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *echo) sleep(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	d, err := time.ParseDuration(in.GetValue())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	e.started <- "Sleep"
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return in, nil
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (e *echo) count(_ *wrapperspb.StringValue, ss grpc.ServerStream) error {
	if err := ss.SendMsg(wrapperspb.String("1")); err != nil {
		return err
	}
	e.started <- "Count"
	select {
	case <-e.release:
	case <-ss.Context().Done():
		return ss.Context().Err()
	}
	for _, s := range []string{"2", "3"} {
		if err := ss.SendMsg(wrapperspb.String(s)); err != nil {
			return err
		}
	}
	return nil
}

func (e *echo) follow(_ *wrapperspb.StringValue, ss grpc.ServerStream) error {
	e.started <- "Follow"
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-gracegrpc.Draining(ss.Context()):
			return ss.SendMsg(wrapperspb.String("bye"))
		case <-tick.C:
			if err := ss.SendMsg(wrapperspb.String("tick")); err != nil {
				return err
			}
		case <-ss.Context().Done():
			return ss.Context().Err()
		}
	}
}

func (e *echo) forever(_ *wrapperspb.StringValue, ss grpc.ServerStream) error {
	if err := ss.SendMsg(wrapperspb.String("hello")); err != nil {
		return err
	}
	e.started <- "Forever"
	<-ss.Context().Done()
	return ss.Context().Err()
}

func (e *echo) stubborn(_ *wrapperspb.StringValue, ss grpc.ServerStream) error {
	if err := ss.SendMsg(wrapperspb.String("hello")); err != nil {
		return err
	}
	e.started <- "Stubborn"
	<-e.release
	return nil
}

func serverStream(name string, h func(*echo, *wrapperspb.StringValue, grpc.ServerStream) error) grpc.StreamDesc {
	return grpc.StreamDesc{StreamName: name, ServerStreams: true, Handler: func(srv any, ss grpc.ServerStream) error {
		in := new(wrapperspb.StringValue)
		if err := ss.RecvMsg(in); err != nil {
			return err
		}
		return h(srv.(*echo), in, ss)
	}}
}

func unary(name string, m func(*echo, context.Context, *wrapperspb.StringValue) (*wrapperspb.StringValue, error)) grpc.MethodDesc {
	return grpc.MethodDesc{MethodName: name, Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, req any) (any, error) {
			return m(srv.(*echo), ctx, req.(*wrapperspb.StringValue))
		}
		if ic == nil {
			return h(ctx, in)
		}
		return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + echoService + "/" + name}, h)
	}}
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: echoService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		unary("Hold", (*echo).hold),
		unary("Sleep", (*echo).sleep),
	},
	Streams: []grpc.StreamDesc{
		serverStream("Count", (*echo).count),
		serverStream("Follow", (*echo).follow),
		serverStream("Forever", (*echo).forever),
		serverStream("Stubborn", (*echo).stubborn),
	},
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// openStream calls a server-streaming method of the test service.
func openStream(ctx context.Context, conn *grpc.ClientConn, method string) (grpc.ClientStream, error) {
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/"+echoService+"/"+method)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(wrapperspb.String(method)); err != nil {
		return nil, err
	}
	return cs, cs.CloseSend()
}

// readInBackground opens a server stream of method and reads it to its end in a goroutine; the
// channel gets the final error (nil for a clean end).
func readInBackground(t *testing.T, conn *grpc.ClientConn, method string) <-chan error {
	t.Helper()
	cs, err := openStream(context.Background(), conn, method)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { _, err := readAll(cs); ended <- err }()
	return ended
}

// readAll reads a stream to its end: the messages and the final error (nil for a clean end).
func readAll(cs grpc.ClientStream) ([]string, error) {
	var got []string
	for {
		m := new(wrapperspb.StringValue)
		if err := cs.RecvMsg(m); err != nil {
			if errors.Is(err, io.EOF) {
				return got, nil
			}
			return got, err
		}
		got = append(got, m.GetValue())
	}
}

// waitStarted waits until n handlers have reported their start.
func waitStarted(t *testing.T, e *echo, n int) {
	t.Helper()
	for i := range n {
		testkit.Recv(t, e.started, 10*time.Second, fmt.Sprintf("handler %d of %d to start", i+1, n))
	}
}
