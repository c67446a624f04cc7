package gracefasthttp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/valyala/fasthttp"
)

// A fasthttp server under a grace app: health on the server itself, a drain delay that ends once
// traffic stops, a stop limit whose last second is left for cutting what still runs, and a clean
// stop. Handlers can watch srv.Draining() to wrap up long work.
func Example() {
	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.DiscardHandler)),
		grace.WithDrainDelay(5*time.Second))
	srv := gracefasthttp.New(&fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("hello")
	}}, gracefasthttp.WithAddr("127.0.0.1:0"), gracefasthttp.WithHealth(app),
		gracefasthttp.WithQuietPeriod(100*time.Millisecond),
		gracefasthttp.WithCutMargin(time.Second)) // requests still running a second before the limit are cut
	app.Add("http", srv, grace.StopTimeout(15*time.Second))

	go func() {
		<-app.Await(grace.PhaseReady)
		resp, err := http.Get("http://" + srv.Addr().String() + "/readyz")
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
