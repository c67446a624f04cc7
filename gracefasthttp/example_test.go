package gracefasthttp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/valyala/fasthttp"
)

// A fasthttp server under a grace app: health on the server itself, a drain delay that ends once
// traffic stops, and a clean stop. Handlers can watch srv.Draining() to wrap up long work.
func Example() {
	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.DiscardHandler)),
		grace.WithDrainDelay(5*time.Second))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := gracefasthttp.New(&fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("hello")
	}}, gracefasthttp.WithListener(ln), gracefasthttp.WithHealth(app),
		gracefasthttp.WithQuietPeriod(100*time.Millisecond))
	app.Add("http", srv)

	go func() {
		<-app.Await(grace.PhaseReady)
		resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			fmt.Printf("readiness: %s", body)
		}
		http.DefaultClient.CloseIdleConnections()
		app.Stop("example")
	}()
	rep, _ := app.Run(context.Background())
	fmt.Println("delay ended by:", rep.DelayEndedBy)
	fmt.Println("exit:", grace.ExitCodeName(rep.ExitCode))
	// Output:
	// readiness: ready
	// delay ended by: quiet
	// exit: clean
}
