package gracegrpc_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracegrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A gRPC server in an app. A client watching the server's health — as a load balancer or a
// client-side health check does — sees SERVING, then NOT_SERVING as soon as the stop begins,
// and then its watch ends, so it never holds the graceful stop.
func Example() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := gracegrpc.New(lis, gracegrpc.WithQuietPeriod(2*time.Second))
	// Register your services: pb.RegisterGreeterServer(srv, greeter{}).

	app := grace.New(
		grace.WithDrainDelay(5*time.Second), // ends early once no RPC came for 2 s
		grace.WithSignals(),                 // this example stops itself; yours stops on SIGTERM
		grace.WithLogger(slog.New(slog.DiscardHandler)),
	)
	app.Add("grpc", srv)
	done := make(chan *grace.Report)
	go func() {
		rep, _ := app.Run(context.Background())
		done <- rep
	}()
	<-app.Await(grace.PhaseReady)

	conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	watch, err := healthgrpc.NewHealthClient(conn).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, _ := watch.Recv()
	fmt.Println("health:", resp.GetStatus())

	app.Stop("example") // what SIGTERM does
	resp, _ = watch.Recv()
	fmt.Println("health:", resp.GetStatus())
	_, err = watch.Recv()
	fmt.Println("watch ended:", status.Code(err))

	rep := <-done
	fmt.Println("drain delay ended by:", rep.DelayEndedBy)
	fmt.Println("grpc:", rep.Component("grpc").State)
	// Output:
	// health: SERVING
	// health: NOT_SERVING
	// watch ended: Unavailable
	// drain delay ended by: quiet
	// grpc: stopped
}

// A server-streaming handler that ends its stream cleanly when the server starts draining, so
// the client can resume elsewhere instead of being cut at the stop deadline.
func ExampleDraining() {
	follow := func(_ *wrapperspb.StringValue, stream grpc.ServerStream) error {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-gracegrpc.Draining(stream.Context()):
				return stream.SendMsg(wrapperspb.String("server draining: reconnect"))
			case <-stream.Context().Done(): // the client left, or the hard stop
				return stream.Context().Err()
			case t := <-tick.C:
				if err := stream.SendMsg(wrapperspb.String(t.Format(time.RFC3339))); err != nil {
					return err
				}
			}
		}
	}
	_ = follow // used as a grpc.StreamDesc's handler, or in your generated service's method
}
