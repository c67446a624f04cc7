package gracefiber_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/gracefiber"
)

// The doc's shape: Fiber routes, readiness and liveness from the app's phase, and gracefiber.New
// in place of Listen and ShutdownWithTimeout. Requests still running a second before the stop's
// limit are cut (WithCutMargin), named in the report and counted as lost.
func Example() {
	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.DiscardHandler)))
	fapp := fiber.New()
	fapp.Get("/livez", gracefiber.Live(app))
	fapp.Get("/readyz", gracefiber.Ready(app))
	fapp.Get("/hello", func(c fiber.Ctx) error { return c.SendString("hello") })
	srv := gracefiber.New(fapp, gracefasthttp.WithAddr("127.0.0.1:0"), gracefasthttp.WithCutMargin(time.Second))
	app.Add("http", srv, grace.StopTimeout(10*time.Second))

	go func() {
		<-app.Await(grace.PhaseReady)
		for _, path := range []string{"/hello", "/readyz"} {
			if resp, err := http.Get("http://" + srv.Addr().String() + path); err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				fmt.Printf("%s: %d %s\n", path, resp.StatusCode, strings.TrimSpace(string(body)))
			}
		}
		http.DefaultClient.CloseIdleConnections()
		app.Stop("example")
	}()
	rep, _ := app.Run(context.Background())
	fmt.Println("exit:", grace.ExitCodeName(rep.ExitCode), "lost:", rep.Lost)
	// Output:
	// /hello: 200 hello
	// /readyz: 200 ready
	// exit: clean lost: 0
}
