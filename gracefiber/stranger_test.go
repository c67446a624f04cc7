package gracefiber_test

// Written from the package doc, the doc comments and grace.Consume's doc alone, in the shape a
// user writes: a Fiber route that accepts a job (202) by putting it in a queue, a grace.Consume
// writer for the queue, and one request stuck in a handler that only ends on the hard cancel.
// Real clients keep posting jobs while the app is stopped. Every job a client saw accepted must
// be written; the stuck request must be cut, counted as lost, and make the exit code ExitLost.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/gracefiber"
)

func TestStrangerFiberJobsWrittenStuckRequestCounted(t *testing.T) {
	jobs := make(chan int, 16)
	var mu sync.Mutex
	written := map[int]int{}
	wrote := make(chan struct{}, 1)
	writer := grace.Consume(jobs, func(ctx context.Context, id int) error {
		time.Sleep(100 * time.Microsecond)
		mu.Lock()
		written[id]++
		mu.Unlock()
		select {
		case wrote <- struct{}{}:
		default:
		}
		return nil
	})

	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(100*time.Millisecond))
	stuckIn := make(chan struct{})
	cut := make(chan struct{})
	fapp := fiber.New()
	fapp.Get("/livez", gracefiber.Live(app))
	fapp.Get("/readyz", gracefiber.Ready(app))
	fapp.Post("/job", func(c fiber.Ctx) error {
		id, err := strconv.Atoi(c.Query("id"))
		if err != nil {
			return c.SendStatus(fiber.StatusBadRequest)
		}
		select {
		case jobs <- id:
			return c.SendStatus(fiber.StatusAccepted)
		case <-c.RequestCtx().Done():
			return c.SendStatus(fiber.StatusServiceUnavailable)
		}
	})
	fapp.Get("/stuck", func(c fiber.Ctx) error {
		close(stuckIn)
		<-c.RequestCtx().Done() // the doc: the hard cancel
		close(cut)
		return c.SendStatus(fiber.StatusServiceUnavailable)
	})
	web := gracefiber.New(fapp, gracefasthttp.WithAddr("127.0.0.1:0"))
	app.Add("writer", writer)
	app.Add("http", web, grace.StopTimeout(time.Second)) // depends on writer (safe default)

	type result struct {
		rep *grace.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := app.Run(context.Background())
		done <- result{rep, err}
	}()
	select {
	case <-app.Await(grace.PhaseReady):
	case <-time.After(10 * time.Second):
		t.Fatal("app not ready in 10 s")
	}
	if app.Phase() != grace.PhaseReady {
		r := <-done
		t.Fatalf("app did not start: %v\n%s", r.err, r.rep)
	}
	base := fmt.Sprintf("http://%s", web.Addr())

	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}

	stuckDone := make(chan struct{})
	go func() {
		defer close(stuckDone)
		resp, err := client.Get(base + "/stuck")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}()
	select {
	case <-stuckIn:
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck request never reached its handler")
	}

	var (
		next       atomic.Int64
		acceptedMu sync.Mutex
		accepted   []int
		clients    sync.WaitGroup
		earlyErrs  atomic.Int64
	)
	for range 8 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for {
				id := int(next.Add(1))
				resp, err := client.Post(base+"/job?id="+strconv.Itoa(id), "text/plain", nil)
				if err != nil {
					if app.Phase() >= grace.PhaseStopping {
						return
					}
					earlyErrs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					acceptedMu.Lock()
					accepted = append(accepted, id)
					acceptedMu.Unlock()
				}
			}
		}()
	}

	deadline := time.After(10 * time.Second)
	for i := 0; i < 300; i++ {
		select {
		case <-wrote:
		case <-deadline:
			t.Fatalf("the writer wrote %d jobs of 300 in 10 s", i)
		}
	}
	app.Stop("test: under load")
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after App.Stop")
	}
	clientsDone := make(chan struct{})
	go func() { clients.Wait(); <-stuckDone; close(clientsDone) }()
	select {
	case <-clientsDone:
	case <-time.After(10 * time.Second):
		t.Fatal("clients still running 10 s after the stop")
	}
	select {
	case <-cut:
	default:
		t.Error("the stuck handler never saw RequestCtx.Done close")
	}

	if n := earlyErrs.Load(); n > 0 {
		t.Errorf("%d requests failed before the stop", n)
	}
	mu.Lock()
	defer mu.Unlock()
	var missing []int
	for _, id := range accepted {
		if written[id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d jobs accepted with 202 and never written (e.g. %v)", len(missing), missing[:min(5, len(missing))])
	}
	if len(accepted) < 300 {
		t.Errorf("only %d jobs accepted: not under load", len(accepted))
	}
	h := r.rep.Component("http")
	if h == nil || h.Lost != 1 || h.Unit != "requests" {
		t.Errorf("http's account %+v; want 1 request lost (the stuck one)", h)
	}
	if w := r.rep.Component("writer"); w == nil || w.Lost != 0 {
		t.Errorf("writer's account %+v; want nothing lost", w)
	}
	// The cut comes a tenth of the limit before the deadline and the connections close half a
	// margin (50 ms) later; on a loaded machine the stop can overrun that and be abandoned (the
	// request is still counted, above). Otherwise the error names the request.
	var ce *gracefasthttp.CutError
	if h != nil && h.TimedOut {
		t.Logf("the http stop overran its limit after the cut: %v", r.err)
	} else if !errors.As(r.err, &ce) || ce.Total != 1 || len(ce.Requests) != 1 || ce.Requests[0].Path != "/stuck" {
		t.Errorf("Run's error %v; want a CutError naming /stuck", r.err)
	}
	if r.rep.Lost != 1 || r.rep.ExitCode != grace.ExitLost || !errors.Is(r.err, grace.ErrLost) {
		t.Errorf("lost %d, exit code %d, err %v; want 1, ExitLost, ErrLost\n%s", r.rep.Lost, r.rep.ExitCode, r.err, r.rep)
	}
}
