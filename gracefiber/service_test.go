package gracefiber_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/gracefiber"
)

// serviceEnv makes the test binary, re-run by gracedrill, serve as a Fiber service (see TestMain).
const serviceEnv = "GRACEFIBER_TEST_SERVICE"

// serviceMain is a small Fiber service in one of two styles, for gracedrill to roll:
//
//   - "fiber": Fiber's own idiom — app.Listen in a goroutine, SIGTERM, app.ShutdownWithTimeout;
//   - "gracefiber": the same routes under a grace.App with gracefiber, a drain delay and a quiet
//     period.
//
// GET /work answers after ?ms= milliseconds (default 0).
func serviceMain(args []string) int {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	style := fs.String("style", "gracefiber", "fiber or gracefiber")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	delay := fs.Duration("drain-delay", 1500*time.Millisecond, "gracefiber: drain delay")
	quiet := fs.Duration("quiet-period", 250*time.Millisecond, "gracefiber: quiet period")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fapp := fiber.New()
	fapp.Get("/work", func(c fiber.Ctx) error {
		if ms, _ := strconv.Atoi(c.Query("ms")); ms > 0 {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		return c.SendString("ok")
	})
	switch *style {
	case "fiber":
		fapp.Get("/readyz", func(c fiber.Ctx) error { return c.SendString("ok") })
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		errc := make(chan error, 1)
		go func() { errc <- fapp.Listen(*addr, fiber.ListenConfig{DisableStartupMessage: true}) }()
		select {
		case <-sigs:
		case err := <-errc:
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := fapp.ShutdownWithTimeout(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "gracefiber":
		app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(*delay),
			grace.WithLogger(slog.New(slog.NewJSONHandler(os.Stderr, nil))))
		fapp.Get("/readyz", gracefiber.Ready(app))
		fapp.Get("/livez", gracefiber.Live(app))
		app.Add("http", gracefiber.New(fapp, gracefasthttp.WithAddr(*addr), gracefasthttp.WithQuietPeriod(*quiet)))
		rep, _ := app.Run(context.Background())
		return rep.ExitCode
	}
	fmt.Fprintln(os.Stderr, "unknown style", *style)
	return 2
}
