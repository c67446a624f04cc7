package gracefasthttp_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/valyala/fasthttp"
)

// serve adds a gracefasthttp server with handler h to app, on a free port, and returns it with
// its base URL.
func serve(t *testing.T, app *grace.App, h fasthttp.RequestHandler, copts []grace.ComponentOption, opts ...gracefasthttp.Option) (*gracefasthttp.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gracefasthttp.New(&fasthttp.Server{Handler: h}, append([]gracefasthttp.Option{gracefasthttp.WithListener(ln), gracefasthttp.WithHealth(app)}, opts...)...)
	app.Add("http", srv, copts...)
	return srv, "http://" + ln.Addr().String()
}

func client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
}

// Requests in flight when the stop comes all finish, and the stop is clean.
func TestRequestsInFlightFinish(t *testing.T) {
	const n = 20
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	app := testkit.NewApp()
	_, base := serve(t, app, func(ctx *fasthttp.RequestCtx) {
		entered <- struct{}{}
		<-release
		ctx.SetBodyString("done")
	}, nil)
	run := testkit.Run(t, app)
	run.Ready(t)

	c := client()
	defer c.CloseIdleConnections()
	gets := testkit.FetchHeld(t, c, base+"/work", n, entered)
	app.Stop("test")
	testkit.Await(t, app.Await(grace.PhaseStopping), 10*time.Second, "the stop")
	close(release)
	gets.Expect(t, 30*time.Second, 200, "done")
	if rep := run.Wait(t).Report; rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
		t.Fatalf("exit %d; lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}

// A request still running at the cut point is cut, named in the report, counted as lost, and
// the app's exit code says so; the handler sees RequestCtx.Done close.
func TestSlowRequestIsCutNamedAndCounted(t *testing.T) {
	entered := make(chan struct{}, 1)
	sawDone := make(chan struct{})
	app := testkit.NewApp()
	_, base := serve(t, app, func(ctx *fasthttp.RequestCtx) {
		entered <- struct{}{}
		select {
		case <-ctx.Done():
			close(sawDone)
		case <-time.After(20 * time.Second):
		}
	}, []grace.ComponentOption{grace.StopTimeout(time.Second)})
	run := testkit.Run(t, app)
	run.Ready(t)
	c := client()
	defer c.CloseIdleConnections()
	go testkit.Fetch(c, base+"/slow/report")
	testkit.Recv(t, entered, 10*time.Second, "the request to enter the handler")
	app.Stop("test")
	testkit.Await(t, sawDone, 10*time.Second, "the handler to see RequestCtx.Done")
	rep := run.Wait(t).Report

	cr := rep.Component("http")
	var cut *gracefasthttp.CutError
	if !errors.As(rep.Err, &cut) || cut.Total != 1 || len(cut.Requests) != 1 || cut.Requests[0].Path != "/slow/report" || cut.Requests[0].Method != "GET" {
		t.Errorf("cut error: %v", rep.Err)
	}
	testkit.CutErrors(t, 1, "requests", rep.Err)
	if rep.ExitCode != grace.ExitLost || cr.Lost != 1 || cr.Unit != "requests" || !errors.Is(rep.Err, grace.ErrLost) {
		t.Errorf("exit %d, account %+v: a cut request is lost work\n%s", rep.ExitCode, cr.Account, rep)
	}
	if !strings.Contains(cr.Error, "GET /slow/report") {
		t.Errorf("report does not name the request: %q", cr.Error)
	}
}

// The margin is clamped to the limit: with a 300 ms stop limit, a 100 ms request in flight at
// the stop finishes.
func TestShortLimitLetsShortRequestsFinish(t *testing.T) {
	entered := make(chan struct{}, 1)
	app := testkit.NewApp()
	_, base := serve(t, app, func(ctx *fasthttp.RequestCtx) {
		entered <- struct{}{}
		time.Sleep(100 * time.Millisecond) // the request's own work
		ctx.SetBodyString("done")
	}, []grace.ComponentOption{grace.StopTimeout(300 * time.Millisecond)})
	run := testkit.Run(t, app)
	run.Ready(t)
	c := client()
	defer c.CloseIdleConnections()
	got := make(chan testkit.Fetched, 1)
	go func() { got <- testkit.Fetch(c, base+"/") }()
	testkit.Recv(t, entered, 10*time.Second, "the request to enter the handler")
	app.Stop("test")
	if r := testkit.Recv(t, got, 10*time.Second, "the response"); r.Err != nil || r.Status != 200 || r.Body != "done" {
		t.Errorf("response %v, want 200 done", r)
	}
	if rep := run.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Errorf("exit %d\n%s", rep.ExitCode, rep)
	}
}

// Idle keep-alive connections are closed at the stop: they do not hold it until the deadline.
func TestIdleKeepAliveConnectionsDoNotHoldTheStop(t *testing.T) {
	app := testkit.NewApp()
	_, base := serve(t, app, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") },
		[]grace.ComponentOption{grace.StopTimeout(20 * time.Second)})
	run := testkit.Run(t, app)
	run.Ready(t)
	const n = 50
	var conns []net.Conn
	for range n {
		nc, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 512)
		if _, err := nc.Read(buf); err != nil || !strings.HasPrefix(string(buf), "HTTP/1.1 200") {
			t.Fatalf("first request: %v %q", err, buf)
		}
		conns = append(conns, nc)
	}
	app.Stop("test")
	rep := run.Wait(t).Report
	c := testkit.StoppedWithin(t, rep, "http", 5*time.Second)
	if rep.ExitCode != grace.ExitClean {
		t.Errorf("exit %d: %s", rep.ExitCode, c.Error)
	}
	for _, nc := range conns {
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); err == nil {
			t.Fatal("an idle connection is still open after the stop")
		}
	}
}

// While draining, the server keeps serving, readiness says 503, liveness 200, responses carry
// Connection: close, and Draining is closed; a quiet period ends the delay early.
func TestDrainKeepsServingAndTurnsReadinessOff(t *testing.T) {
	app := testkit.NewApp(grace.WithDrainDelay(20 * time.Second))
	var srv *gracefasthttp.Server
	srv, base := serve(t, app, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, nil,
		gracefasthttp.WithQuietPeriod(300*time.Millisecond))
	run := testkit.Run(t, app)
	run.Ready(t)
	c := client()
	defer c.CloseIdleConnections()
	testkit.Fetch(c, base+"/readyz").Want(t, 200, "ready")
	app.Stop("test")
	testkit.Await(t, srv.Draining(), 10*time.Second, "Draining")
	testkit.Fetch(c, base+"/readyz").Want(t, 503, "draining")
	testkit.Fetch(c, base+"/livez").Want(t, 200, "draining")
	if r := testkit.Fetch(c, base+"/"); r.Err != nil || r.Status != 200 || !r.Close {
		t.Errorf("a response while draining: %v, close %v; want 200 with Connection: close", r, r.Close)
	}
	rep := run.Wait(t).Report
	if rep.DelayEndedBy != "quiet" || rep.ExitCode != grace.ExitClean {
		t.Errorf("delay ended by %q, exit %d", rep.DelayEndedBy, rep.ExitCode)
	}
}

// Bad options are reported before anything starts, each problem on its own, naming the option
// and the bad value, under the component's name (given once, by the app).
func TestBadOptionsAreReportedFirst(t *testing.T) {
	app := testkit.NewApp()
	app.Add("http", gracefasthttp.New(&fasthttp.Server{}, gracefasthttp.WithQuietPeriod(-time.Second),
		gracefasthttp.WithCutMargin(-time.Second), gracefasthttp.WithLinger(0), gracefasthttp.WithMaxTracked(-1)))
	defer time.AfterFunc(10*time.Second, func() { app.Stop("test: the app started") }).Stop() // and fails the test
	_, err := app.Run(t.Context())
	testkit.WantProblems(t, err, "http", "the *fasthttp.Server has no Handler", "quiet period must be positive, got -1s",
		"cut margin must be positive, got -1s", "linger must be positive, got 0s",
		"max tracked must be positive, got -1", "no address: give WithAddr or WithListener")
}

func TestHealthHandler(t *testing.T) {
	app := testkit.NewApp()
	h := gracefasthttp.Health(app)
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/readyz")
	h(&ctx)
	if ctx.Response.StatusCode() != 503 || strings.TrimSpace(string(ctx.Response.Body())) != "idle" {
		t.Errorf("readiness before the start: %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// The Server is every component interface its doc names; its cut error is the root's.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracefasthttp.Server{}, (*grace.Starter)(nil), (*grace.Runner)(nil), (*grace.Drainer)(nil),
		(*grace.Quieter)(nil), (*grace.Stopper)(nil), (*grace.Validator)(nil), (*grace.Accounter)(nil))
	testkit.CutErrors(t, 3, "requests", &gracefasthttp.CutError{Total: 3})
}
