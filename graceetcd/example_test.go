package graceetcd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceetcd"
	"github.com/gracekit/grace/gracehttp"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// An HTTP service that registers itself in etcd while it is ready. A discovery client watching
// the services' prefix sees the instance appear once the app is ready, and disappear at the
// first moment of the stop — while the server still serves.
func Example() {
	endpoint := os.Getenv("GRACE_TEST_ETCD_ENDPOINT") // set by scripts/services
	if endpoint == "" {
		fmt.Println("GRACE_TEST_ETCD_ENDPOINT is not set")
		return
	}
	endpoints := []string{endpoint} // your etcd cluster
	prefix := fmt.Sprintf("/services/orders-%d/", os.Getpid())

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Somewhere else, a client discovers the instances.
	discovery, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer discovery.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := discovery.Watch(ctx, prefix, clientv3.WithPrefix())

	app := grace.New(
		grace.WithSignals(), // this example stops itself; yours stops on SIGTERM
		grace.WithLogger(slog.New(slog.DiscardHandler)),
	)
	app.Add("etcd-client", grace.Closer(cli)) // first, so it closes last
	app.Add("http", gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(lis)))
	app.Add("registration", graceetcd.New(app, cli, prefix+"instance-1", lis.Addr().String(),
		graceetcd.WithTTL(10*time.Second)))
	done := make(chan *grace.Report)
	go func() {
		rep, _ := app.Run(context.Background())
		done <- rep
	}()

	show := func() {
		select {
		case resp := <-events:
			for _, ev := range resp.Events {
				fmt.Println(ev.Type, strings.TrimPrefix(string(ev.Kv.Key), prefix))
			}
		case <-time.After(10 * time.Second):
			fmt.Println("no event")
		}
	}
	show()
	app.Stop("example") // what SIGTERM does
	show()
	rep := <-done
	fmt.Println(grace.ExitCodeName(rep.ExitCode))
	// Output:
	// PUT instance-1
	// DELETE instance-1
	// clean
}
