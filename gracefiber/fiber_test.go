package gracefiber_test

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/gracefiber"
	"github.com/gracekit/grace/internal/testkit"
)

// fiberApp returns a Fiber app with the health routes and a /slow route that holds until release
// is closed or the request's context is cancelled (the hard stop).
func fiberApp(app *grace.App, entered chan<- string, release <-chan struct{}) *fiber.App {
	fapp := fiber.New()
	fapp.Get("/livez", gracefiber.Live(app))
	fapp.Get("/readyz", gracefiber.Ready(app))
	fapp.Get("/slow", func(c fiber.Ctx) error {
		entered <- c.Path()
		select {
		case <-release:
			return c.SendString("done")
		case <-c.RequestCtx().Done():
			return c.SendStatus(fiber.StatusServiceUnavailable)
		}
	})
	return fapp
}

func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// The doc's shape: Fiber routes with Live and Ready, gracefiber.New under a grace.App. Requests
// in flight at the stop finish; readiness turned 503 during the drain while the app served.
func TestFiberRequestsInFlightFinish(t *testing.T) {
	const n = 10
	entered, release := make(chan string, n), make(chan struct{})
	app := testkit.NewApp(grace.WithDrainDelay(200 * time.Millisecond))
	ln, base := listen(t)
	srv := gracefiber.New(fiberApp(app, entered, release), gracefasthttp.WithListener(ln))
	app.Add("http", srv)
	run := testkit.Run(t, app)
	run.Ready(t)
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	testkit.Fetch(c, base+"/readyz").Want(t, 200, "ready")
	gets := testkit.FetchHeld(t, c, base+"/slow", n, entered)
	app.Stop("test")
	testkit.Await(t, srv.Draining(), 10*time.Second, "the drain")
	testkit.Fetch(c, base+"/readyz").Want(t, 503, "draining")
	close(release)
	gets.Expect(t, 30*time.Second, 200, "done")
	if rep := run.Wait(t).Report; rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
		t.Errorf("exit %d, lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}

// A Fiber handler still running at the cut point sees its context cancelled; the request is
// named in the report and counted as lost.
func TestFiberSlowRequestIsCut(t *testing.T) {
	entered, release := make(chan string, 1), make(chan struct{})
	defer close(release)
	app := testkit.NewApp()
	ln, base := listen(t)
	app.Add("http", gracefiber.New(fiberApp(app, entered, release), gracefasthttp.WithListener(ln)), grace.StopTimeout(time.Second))
	run := testkit.Run(t, app)
	run.Ready(t)
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	go testkit.Fetch(c, base+"/slow")
	testkit.Recv(t, entered, 10*time.Second, "the request to enter the handler")
	app.Stop("test")
	rep := run.Wait(t).Report
	var cut *gracefasthttp.CutError
	if !errors.As(rep.Err, &cut) || cut.Total != 1 || cut.Requests[0].Path != "/slow" {
		t.Errorf("cut: %v", rep.Err)
	}
	testkit.CutErrors(t, 1, "requests", rep.Err)
	if rep.ExitCode != grace.ExitLost || rep.Lost != 1 {
		t.Errorf("exit %d, lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}
