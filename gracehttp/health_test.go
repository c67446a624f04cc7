package gracehttp_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// TestHealthAndQuiet: readiness is 200 when ready and 503 "not ready: draining" while draining,
// liveness stays 200; health checks during the drain do not keep it from being quiet, so the
// drain delay ends by "quiet" long before it would elapse.
func TestHealthAndQuiet(t *testing.T) {
	app := testkit.NewApp(grace.WithDrainDelay(5 * time.Second))
	ln := listen(t)
	hold := make(chan struct{})
	app.Add("hold", grace.Hook{OnDrain: func(ctx context.Context) error {
		select { // keep the app draining until the test looked at the health endpoints
		case <-hold:
		case <-ctx.Done():
		}
		return nil
	}})
	app.Add("http", gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(ln),
		gracehttp.WithHealth(app), gracehttp.WithQuietPeriod(200*time.Millisecond)))
	run := testkit.Run(t, app)
	run.Ready(t)
	base := "http://" + ln.Addr().String()
	c := client(t)
	check := func(path string, wantStatus int, wantBody string) {
		t.Helper()
		status, body, err := testkit.Get(c, base+path)
		if err != nil || status != wantStatus || body != wantBody {
			t.Errorf("%s: %d %q %v, want %d %q", path, status, body, err, wantStatus, wantBody)
		}
	}
	check("/readyz", 200, "ready\n")
	check("/livez", 200, "live\n")
	app.Stop("test")
	<-app.Await(grace.PhaseDraining)
	begin := time.Now()
	check("/readyz", 503, "not ready: draining\n")
	for range 5 { // health checks keep coming; they are not traffic
		status, body, _ := testkit.Get(c, base+"/readyz")
		if status != 503 || !strings.HasPrefix(body, "not ready: ") {
			t.Errorf("readyz while stopping: %d %q", status, body)
		}
		check("/livez", 200, "live\n")
		time.Sleep(50 * time.Millisecond)
	}
	close(hold)
	rep := run.Wait(t).Report
	if rep.DelayEndedBy != "quiet" {
		t.Fatalf("delay ended by %q, want quiet:\n%s", rep.DelayEndedBy, rep)
	}
	if rep.Delay >= 2*time.Second {
		t.Errorf("delay %v: quiet should end it soon after the last health check", rep.Delay)
	}
	t.Logf("delay ended by quiet after %v (health checks for %v)", rep.Delay, time.Since(begin))
}

// TestQuietWaitsForTraffic: traffic during the drain keeps it from being quiet.
func TestQuietWaitsForTraffic(t *testing.T) {
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })},
		gracehttp.WithListener(listen(t)), gracehttp.WithQuietPeriod(150*time.Millisecond))
	base := startServer(t, s)
	c := client(t)
	s.Drain(context.Background())
	quiet := s.Quiet()
	for range 8 {
		testkit.Get(c, base+"/work")
		select {
		case <-quiet:
			t.Fatal("quiet while requests arrive every 50ms")
		case <-time.After(50 * time.Millisecond):
		}
	}
	testkit.Recv(t, quiet, 2*time.Second, "quiet after traffic stopped")
	if gracehttp.New(&http.Server{}).Quiet() != nil {
		t.Error("Quiet without WithQuietPeriod is not nil")
	}
}

// TestHealthHandlerStandalone: Health mounted on the user's mux at custom paths.
func TestHealthHandlerStandalone(t *testing.T) {
	app := testkit.NewApp()
	h := gracehttp.Health(app, gracehttp.WithReadyPath("/ready"), gracehttp.WithLivePath("/alive"))
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{{"/ready", 503, "not ready: idle\n"}, {"/alive", 503, "not live: idle\n"}, {"/other", 404, ""}} {
		rec := &recorder{header: http.Header{}}
		r, _ := http.NewRequest("GET", tc.path, nil)
		h.ServeHTTP(rec, r)
		if rec.status != tc.status || (tc.body != "" && rec.body.String() != tc.body) {
			t.Errorf("%s: %d %q", tc.path, rec.status, rec.body.String())
		}
	}
}

type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(200)
	return r.body.Write(p)
}
