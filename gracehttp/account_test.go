package gracehttp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// slowOK answers 200 after d, or 503 if its context is cancelled first — the shape of a handler
// that passes r.Context() to its database calls. It signals entered once it runs.
func slowOK(d time.Duration, entered chan<- struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintln(w, "done")
		case <-r.Context().Done():
			http.Error(w, "cancelled: "+context.Cause(r.Context()).Error(), http.StatusServiceUnavailable)
		}
	})
}

// TestShortStopTimeoutLetsShortRequestFinish is issue 12's scenario: a server added with
// grace.StopTimeout(300ms) and a 100 ms request in flight at the stop. The request finishes with
// 200, nothing is lost, the exit code is clean. With the cut margin unclamped (500 ms before
// a 300 ms deadline), the request was cancelled at once and answered 503.
func TestShortStopTimeoutLetsShortRequestFinish(t *testing.T) {
	const n = 4
	entered := make(chan struct{}, n)
	app := testkit.NewApp()
	ln := listen(t)
	app.Add("http", gracehttp.New(&http.Server{Handler: slowOK(100*time.Millisecond, entered)},
		gracehttp.WithListener(ln)), grace.StopTimeout(300*time.Millisecond))
	run := testkit.Run(t, app)
	run.Ready(t)
	results := getInBackground(t, "http://"+ln.Addr().String()+"/work", n)
	for range n {
		testkit.Recv(t, entered, 5*time.Second, "handler entered")
	}
	app.Stop("test")
	for range n {
		r := testkit.Recv(t, results, 5*time.Second, "response")
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("request in flight at the stop: status %d, body %q, err %v; want 200", r.status, r.body, r.err)
		}
	}
	rep := run.Wait(t).Report
	if rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Errorf("report: lost %d, exit %d; want 0, 0\n%s", rep.Lost, rep.ExitCode, rep)
	}
}

// TestRequestCutAtDeadlineIsLost: a handler still running at the hard deadline is cut; the
// app's report says 1 requests lost, the exit code is ExitLost and Run's error matches ErrLost.
// Account, called concurrently all through the stop (the engine may call it from an abandoned
// stop), never says more than one.
func TestRequestCutAtDeadlineIsLost(t *testing.T) {
	entered := make(chan struct{}, 1)
	app := testkit.NewApp()
	ln := listen(t)
	srv := gracehttp.New(&http.Server{Handler: slowOK(time.Hour, entered)}, gracehttp.WithListener(ln))
	app.Add("http", srv, grace.StopTimeout(300*time.Millisecond))
	run := testkit.Run(t, app)
	run.Ready(t)
	responses := getInBackground(t, "http://"+ln.Addr().String()+"/forever", 1)
	testkit.Recv(t, entered, 5*time.Second, "handler entered")

	stopPolling := make(chan struct{})
	var polls sync.WaitGroup
	var maxSeen int64
	polls.Go(func() {
		for {
			select {
			case <-stopPolling:
				return
			default:
			}
			if a := srv.Account(); a.Lost > maxSeen {
				maxSeen = a.Lost
			}
			time.Sleep(time.Millisecond)
		}
	})
	app.Stop("test")
	res := run.Wait(t)
	close(stopPolling)
	polls.Wait()

	rep := res.Report
	// The cancelled handler answers 503, unless the force-close (15 ms later) beat it on a
	// loaded machine: then the client sees no answer. Never a 200.
	if got := testkit.Recv(t, responses, 5*time.Second, "client").status; got != http.StatusServiceUnavailable && got != 0 {
		t.Errorf("cut request answered %d, want 503 from its cancelled handler or no answer", got)
	}
	comp := rep.Component("http")
	if comp == nil || comp.Account != (grace.Account{Unit: "requests", Lost: 1}) {
		t.Fatalf("component account = %+v, want 1 requests lost\n%s", comp, rep)
	}
	if rep.Lost != 1 || rep.ExitCode != grace.ExitLost || !strings.Contains(rep.String(), "1 requests lost") {
		t.Errorf("report: lost %d, exit %d; want 1, %d\n%s", rep.Lost, rep.ExitCode, grace.ExitLost, rep)
	}
	if err := res.Err; !errors.Is(err, grace.ErrLost) {
		t.Errorf("Run error %v does not match ErrLost", err)
	}
	if maxSeen > 1 {
		t.Errorf("Account said %d lost during the stop, for one request", maxSeen)
	}
}

// TestStuckHandlerCountedWhileAbandoned: a handler that ignores its cancelled context holds the
// stop past its deadline; Account, asked while that request still runs, counts it as lost.
func TestStuckHandlerCountedWhileAbandoned(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release // ignores its context
	})}, gracehttp.WithListener(listen(t)))
	base := startServer(t, s)
	c := client(t)
	go func() { _, _, _ = testkit.Get(c, base+"/stuck") }()
	testkit.Recv(t, entered, 5*time.Second, "handler entered")
	if a := s.Account(); a.Lost != 0 {
		t.Fatalf("before Stop: Account = %+v, want nothing lost", a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want the deadline's error: the handler still runs", err)
	}
	if a := s.Account(); a.Lost != 1 || a.Unit != "requests" {
		t.Errorf("stop past its deadline, handler still running: Account = %#v, want 1 requests lost", a)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for len(s.InFlight()) > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if a := s.Account(); a.Lost != 1 {
		t.Errorf("after the handler returned: Account = %#v, want 1 lost (once)", a)
	}
}

// handOff hijacks the connection, gives it to a goroutine that reads until the connection closes
// (it ignores any go-away), and returns: the user's shape of a connection upgraded and served
// elsewhere.
func handOff(held *sync.WaitGroup) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: custom\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		held.Go(func() {
			defer conn.Close()
			buf := make([]byte, 64)
			for {
				if _, err := conn.Read(buf); err != nil {
					return
				}
			}
		})
	})
}

// TestHijackedConnCutIsLost: a hijacked connection whose handler has returned, still open at
// the deadline, is closed by Stop and counted as one lost request; the same connection closed by
// its peer after the go-away hook is not lost.
func TestHijackedConnCutIsLost(t *testing.T) {
	for _, tc := range []struct {
		name   string
		goAway bool
		lost   int64
	}{{"ignored", false, 1}, {"goaway honoured", true, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			var held sync.WaitGroup
			defer held.Wait()
			opts := []gracehttp.Option{gracehttp.WithListener(listen(t))}
			if tc.goAway {
				opts = append(opts, gracehttp.WithGoAway(func(c net.Conn) { c.Close() }))
			}
			app := testkit.NewApp()
			s := gracehttp.New(&http.Server{Handler: handOff(&held)}, opts...)
			app.Add("http", s, grace.StopTimeout(300*time.Millisecond))
			run := testkit.Run(t, app)
			run.Ready(t)
			conn, _ := dialUpgraded(t, s.Addrs()[0].String(), "/upgrade", "custom")
			app.Stop("test")
			rep := run.Wait(t).Report
			if got := rep.Component("http").Account; got.Lost != tc.lost {
				t.Errorf("account %+v, want %d requests lost\n%s", got, tc.lost, rep)
			}
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Read(make([]byte, 1)); err == nil {
				t.Error("connection still open after the stop")
			}
		})
	}
}

// TestHijackedInHandlerCountedOnce: a WebSocket served inside its handler, cut at the deadline,
// is one lost request — the request and its hijacked connection are not counted twice.
func TestHijackedInHandlerCountedOnce(t *testing.T) {
	s := gracehttp.New(&http.Server{Handler: wsHandler(make(chan struct{}, 1))}, gracehttp.WithListener(listen(t)))
	app := testkit.NewApp()
	app.Add("http", s, grace.StopTimeout(300*time.Millisecond))
	run := testkit.Run(t, app)
	run.Ready(t)
	dialWS(t, s.Addrs()[0].String())
	app.Stop("test")
	rep := run.Wait(t).Report
	if got := rep.Component("http").Account; got.Lost != 1 {
		t.Errorf("account %+v, want 1 requests lost\n%s", got, rep)
	}
}
