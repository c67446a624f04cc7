package gracehttp3_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp3"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/quic-go/quic-go/http3"
)

// setup adds an HTTP/3 server with handler h to app and returns its base URL and a client using
// quic-go's own transport.
func setup(t *testing.T, app *grace.App, h http.Handler, copts ...grace.ComponentOption) (*gracehttp3.Server, string, *http.Client) {
	t.Helper()
	stls, ctls := testkit.SelfSigned(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gracehttp3.New(&http3.Server{Handler: h, TLSConfig: stls}, gracehttp3.WithPacketConn(pc), gracehttp3.WithHealth(app))
	app.Add("h3", srv, copts...)
	tr := &http3.Transport{TLSClientConfig: ctls}
	t.Cleanup(func() { tr.Close() })
	return srv, "https://" + pc.LocalAddr().String(), &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Streams in flight when the stop comes finish after the GOAWAY; readiness is 503 during the
// drain while the server still serves; the stop is clean and waits for no deadline.
func TestStreamsInFlightFinishAfterGoaway(t *testing.T) {
	const n = 8
	entered, release := make(chan struct{}, n), make(chan struct{})
	app := testkit.NewApp(grace.WithDrainDelay(300 * time.Millisecond))
	srv, base, c := setup(t, app, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		io.WriteString(w, "done")
	}), grace.StopTimeout(20*time.Second))
	run := testkit.Run(t, app)
	run.Ready(t)
	testkit.Fetch(c, base+"/readyz").Want(t, 200, "ready")
	streams := testkit.FetchHeld(t, c, base+"/work", n, entered)
	app.Stop("test")
	testkit.Await(t, srv.Draining(), 10*time.Second, "the drain")
	testkit.Fetch(c, base+"/readyz").Want(t, 503, "draining")
	testkit.Fetch(c, base+"/livez").Want(t, 200, "draining")
	testkit.Await(t, app.Await(grace.PhaseStopping), 10*time.Second, "the stop")
	close(release)
	streams.Expect(t, 30*time.Second, 200, "done")
	rep := run.Wait(t).Report
	testkit.StoppedWithin(t, rep, "h3", 10*time.Second)
	if rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
		t.Errorf("exit %d, lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}

// A request still running at the cut point is cancelled with ErrHardStop, named and counted as
// lost; the app exits with ExitLost.
func TestSlowStreamIsCutNamedAndCounted(t *testing.T) {
	entered := make(chan struct{}, 1)
	cause := make(chan error, 1)
	app := testkit.NewApp()
	_, base, c := setup(t, app, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
			cause <- context.Cause(r.Context())
		case <-time.After(20 * time.Second):
		}
	}), grace.StopTimeout(time.Second))
	run := testkit.Run(t, app)
	run.Ready(t)
	go testkit.Fetch(c, base+"/slow")
	testkit.Recv(t, entered, 10*time.Second, "the request to enter the handler")
	app.Stop("test")
	if err := testkit.Recv(t, cause, 10*time.Second, "the handler's context to end"); !errors.Is(err, gracehttp3.ErrHardStop) || !errors.Is(err, grace.ErrCut) {
		t.Errorf("cause %v, want ErrHardStop, a grace.ErrCut", err)
	}
	rep := run.Wait(t).Report
	var cut *gracehttp3.CutError
	if !errors.As(rep.Err, &cut) || len(cut.Requests) != 1 || cut.Requests[0].Path != "/slow" {
		t.Errorf("cut: %v", rep.Err)
	}
	testkit.CutErrors(t, 1, "requests", rep.Err)
	if rep.ExitCode != grace.ExitLost || rep.Lost != 1 {
		t.Errorf("exit %d, lost %d\n%s", rep.ExitCode, rep.Lost, rep)
	}
}

// Bad options are reported before anything starts, each problem on its own, naming the option
// and the bad value, under the component's name (given once, by the app).
func TestBadOptions(t *testing.T) {
	app := testkit.NewApp()
	app.Add("h3", gracehttp3.New(&http3.Server{}, gracehttp3.WithCutMargin(0), gracehttp3.WithPacketConn(nil)))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // an app that starts fails the test
	defer cancel()
	_, err := app.Run(ctx)
	testkit.WantProblems(t, err, "h3", "cut margin must be positive, got 0s", "WithPacketConn: nil connection",
		"the *http3.Server has no TLSConfig (HTTP/3 needs TLS)", "no address: give WithAddr, WithPacketConn or the server's Addr")
}

// The Server is every component interface its doc names; its cut error is the root's.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracehttp3.Server{}, (*grace.Starter)(nil), (*grace.Runner)(nil), (*grace.Drainer)(nil),
		(*grace.Stopper)(nil), (*grace.Validator)(nil), (*grace.Accounter)(nil))
	testkit.CutErrors(t, 2, "requests", &gracehttp3.CutError{Requests: make([]gracehttp3.InFlightRequest, 2)})
}
