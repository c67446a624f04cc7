package gracehttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// TestDrainServesEveryAcceptedRequest runs slow and fast requests while the app drains: every
// request the server accepted gets a whole response, and no request sent during the drain delay
// fails. Replacing the drain with a plain Close cuts the slow ones.
func TestDrainServesEveryAcceptedRequest(t *testing.T) {
	var mu sync.Mutex
	started := map[string]bool{}
	mux := http.NewServeMux()
	handle := func(w http.ResponseWriter, r *http.Request, d time.Duration, size int) {
		id := r.URL.Query().Get("id")
		mu.Lock()
		started[id] = true
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		time.Sleep(d / 2)
		body := payload(id, size)
		io.WriteString(w, body[:len(body)/2])
		w.(http.Flusher).Flush()
		time.Sleep(d / 2)
		io.WriteString(w, body[len(body)/2:])
	}
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		handle(w, r, time.Duration(200+rand.IntN(400))*time.Millisecond, 64<<10)
	})
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { handle(w, r, 0, 100) })

	app := testkit.NewApp(grace.WithDrainDelay(400*time.Millisecond), grace.WithBudget(10*time.Second))
	ln := listen(t)
	app.Add("http", gracehttp.New(&http.Server{Handler: mux}, gracehttp.WithListener(ln), gracehttp.WithHealth(app)))
	run := testkit.Run(t, app)
	run.Ready(t)
	base := "http://" + ln.Addr().String()

	c := client(t)
	delayOver := app.Await(grace.PhaseDelayOver)
	type outcome struct {
		id    string
		begin time.Time
		err   error
	}
	var outcomes sync.Map
	var wg sync.WaitGroup
	var seq atomic.Int64
	for w := range 16 {
		wg.Go(func() {
			for {
				select {
				case <-delayOver:
					return
				default:
				}
				id := fmt.Sprint(seq.Add(1))
				path := "/fast"
				if w%2 == 0 {
					path = "/slow"
				}
				begin := time.Now()
				status, body, err := testkit.Get(c, base+path+"?id="+id)
				size := 100
				if path == "/slow" {
					size = 64 << 10
				}
				if err == nil && (status != 200 || body != payload(id, size)) {
					err = fmt.Errorf("status %d, body of %d bytes, not the whole response", status, len(body))
				}
				outcomes.Store(id, outcome{id, begin, err})
				if err != nil {
					return // the listener is closed: no more requests from this worker
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // let load build up before the stop
	app.Stop("test")
	wg.Wait()
	rep := run.Wait(t).Report
	if rep.ExitCode != grace.ExitClean {
		t.Fatalf("report: %s", rep)
	}
	if c := rep.Component("http"); c == nil || c.LeftBehind > 0 {
		t.Errorf("the server left goroutines behind:\n%s", rep)
	}
	var delayOverAt time.Time
	for _, p := range rep.Phases {
		if p.Phase == grace.PhaseDelayOver {
			delayOverAt = p.At
		}
	}
	n, failed := 0, 0
	outcomes.Range(func(_, v any) bool {
		o := v.(outcome)
		n++
		mu.Lock()
		accepted := started[o.id]
		mu.Unlock()
		if o.err != nil {
			failed++
			if accepted {
				t.Errorf("request %s was accepted but got no whole response: %v", o.id, o.err)
			} else if o.begin.Before(delayOverAt.Add(-200 * time.Millisecond)) {
				t.Errorf("request %s sent %v before the drain delay ended failed: %v", o.id, delayOverAt.Sub(o.begin), o.err)
			}
		}
		return true
	})
	if n < 50 {
		t.Fatalf("only %d requests ran", n)
	}
	t.Logf("%d requests, %d refused after intake closed", n, failed)
}

// TestHardCancelAndCutReport: a handler that ignores the drain is cancelled near Stop's deadline
// (cause ErrHardStop); Stop's error lists it; the slow-drain log lists it first.
func TestHardCancelAndCutReport(t *testing.T) {
	causes := make(chan error, 1)
	entered := make(chan struct{})
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
	s := gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		causes <- context.Cause(r.Context())
	})}, gracehttp.WithListener(listen(t)), gracehttp.WithCutMargin(400*time.Millisecond),
		gracehttp.WithSlowDrain(50*time.Millisecond), gracehttp.WithLogger(logger))
	base := startServer(t, s)
	c := client(t)
	errs := make(chan error, 1)
	go func() { _, _, err := testkit.Get(c, base+"/hang/here"); errs <- err }()
	testkit.Recv(t, entered, 5*time.Second, "handler entered")
	if got := s.InFlight(); len(got) != 1 || got[0].Method != "GET" || got[0].Route != "/hang/here" {
		t.Fatalf("InFlight = %v", got)
	}
	// 4 s: grace.CutAt keeps the 400 ms margin whole (a tenth of the limit), time enough for the
	// cut to end before the deadline on a loaded machine.
	const limit = 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	begin := time.Now()
	err := s.Stop(ctx)
	took := time.Since(begin)
	if cause := testkit.Recv(t, causes, 5*time.Second, "handler cancelled"); !errors.Is(cause, gracehttp.ErrHardStop) {
		t.Errorf("request context cause = %v, want ErrHardStop", cause)
	}
	var cut *gracehttp.CutError
	if !errors.As(err, &cut) || cut.Total != 1 || len(cut.Requests) != 1 || cut.Requests[0].Route != "/hang/here" {
		t.Fatalf("Stop = %v, want a CutError listing GET /hang/here", err)
	}
	if cut.Requests[0].Age < 500*time.Millisecond {
		t.Errorf("age %v: should be about the time to the hard stop", cut.Requests[0].Age)
	}
	if !strings.Contains(err.Error(), "GET /hang/here") {
		t.Errorf("error %q does not name the request", err)
	}
	var ce grace.CutError
	if !errors.Is(err, grace.ErrCut) || !errors.As(err, &ce) {
		t.Errorf("Stop = %v, want an error matching grace.ErrCut and a grace.CutError", err)
	} else if n, unit := ce.Cut(); n != 1 || unit != "requests" {
		t.Errorf("Cut() = %d %q, want 1 requests", n, unit)
	}
	if took >= limit {
		t.Errorf("Stop took %v, past its deadline", took)
	}
	testkit.Recv(t, errs, 5*time.Second, "client")
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if !strings.Contains(out, "slow drain") || !strings.Contains(out, "/hang/here") {
		t.Errorf("log does not list the slow request:\n%s", out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestCutRequestsInAppReport: the requests cut at the deadline land in the app's report.
func TestCutRequestsInAppReport(t *testing.T) {
	entered := make(chan struct{})
	// 3 s: grace.CutAt keeps the 300 ms cut margin whole (a tenth of the budget).
	app := testkit.NewApp(grace.WithBudget(3 * time.Second))
	ln := listen(t)
	app.Add("http", gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})}, gracehttp.WithListener(ln), gracehttp.WithCutMargin(300*time.Millisecond)))
	run := testkit.Run(t, app)
	run.Ready(t)
	done := getInBackground(t, "http://"+ln.Addr().String()+"/block/forever", 1)
	testkit.Recv(t, entered, 5*time.Second, "handler")
	app.Stop("test")
	rep := run.Wait(t).Report
	comp := rep.Component("http")
	if comp == nil || !strings.Contains(comp.Error, "1 in-flight requests cut at the deadline: GET /block/forever") {
		t.Fatalf("report does not list the cut request:\n%s", rep)
	}
	var cut *gracehttp.CutError
	if !errors.As(rep.Err, &cut) || !errors.Is(rep.Err, grace.ErrCut) {
		t.Errorf("report error %v does not wrap a CutError matching grace.ErrCut", rep.Err)
	}
	if want := "stop http: 1 in-flight requests cut"; !strings.Contains(rep.Err.Error(), want) {
		t.Errorf("report error %q does not read %q (said once, nothing between)", rep.Err, want)
	}
	testkit.Recv(t, done, 5*time.Second, "client")
	t.Logf("report:\n%s", rep)
}
