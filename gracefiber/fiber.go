package gracefiber

import (
	"net"

	"github.com/gofiber/fiber/v3"
	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
)

// New returns a component that serves fapp and drains it; see [gracefasthttp.Server] for the
// whole contract (Start listens, Run serves, Drain, Stop, Account). opts are gracefasthttp's:
// [gracefasthttp.WithAddr] or [gracefasthttp.WithListener] is required. The health paths
// (/livez, /readyz) are exempt from drain accounting, whether served by [Live] and [Ready] routes
// or by [gracefasthttp.WithHealth].
func New(fapp *fiber.App, opts ...gracefasthttp.Option) *gracefasthttp.Server {
	serve := func(ln net.Listener) error {
		return fapp.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	}
	opts = append([]gracefasthttp.Option{gracefasthttp.WithName("fiber")}, opts...)
	return gracefasthttp.New(fapp.Server(), append(opts, gracefasthttp.WithServe(serve))...)
}

// Live returns a Fiber handler for liveness: 200 while app is live (through the drain, so a
// draining instance is not restarted), 503 otherwise. The body names the phase and nothing else.
func Live(app *grace.App) fiber.Handler { return probe(app, app.Live) }

// Ready returns a Fiber handler for readiness: 200 only while app is ready, 503 from the first
// moment of the drain. The body names the phase and nothing else.
func Ready(app *grace.App) fiber.Handler { return probe(app, app.Ready) }

// LiveProbe and ReadyProbe are probes for Fiber's healthcheck middleware
// (healthcheck.Config{Probe: gracefiber.ReadyProbe(app)}).
func LiveProbe(app *grace.App) func(fiber.Ctx) bool {
	return func(fiber.Ctx) bool { return app.Live() }
}

// ReadyProbe: see [LiveProbe].
func ReadyProbe(app *grace.App) func(fiber.Ctx) bool {
	return func(fiber.Ctx) bool { return app.Ready() }
}

func probe(app *grace.App, ok func() bool) fiber.Handler {
	return func(c fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		status := fiber.StatusOK
		if !ok() {
			status = fiber.StatusServiceUnavailable
		}
		return c.Status(status).SendString(app.Phase().String() + "\n")
	}
}
