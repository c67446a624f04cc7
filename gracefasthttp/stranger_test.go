package gracefasthttp_test

// Written from the package doc, the doc comments and grace.Consume's doc alone, in the shape a
// user writes: a fasthttp handler that accepts a job (202) by putting it in a queue, and a
// grace.Consume writer that handles the queue. Real clients keep posting jobs while the app is
// stopped; every job a client saw accepted must be written, or counted as lost in the report.

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

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/valyala/fasthttp"
)

// The writer registered first; the server after it, depending on it (the safe default).
func TestStrangerAcceptedJobsAreWrittenOrCounted(t *testing.T) {
	strangerJobs(t, false)
}

// The README's quick-start shape: the writer and the server are siblings, both depending on a
// "db" only, so they stop in parallel and the server's handlers may put jobs in the queue after
// the writer has finished. Those must be counted as lost, never vanish.
func TestStrangerSiblingWriterCountsLateJobs(t *testing.T) {
	strangerJobs(t, true)
}

func strangerJobs(t *testing.T, siblings bool) {
	jobs := make(chan int, 16) // small: handlers block on it under load
	var mu sync.Mutex
	written := map[int]int{}
	wrote := make(chan struct{}, 1)
	writer := grace.Consume(jobs, func(ctx context.Context, id int) error {
		time.Sleep(100 * time.Microsecond) // a slow consumer
		mu.Lock()
		written[id]++
		mu.Unlock()
		select {
		case wrote <- struct{}{}:
		default:
		}
		return nil
	})

	// A slow request (validation that takes long) that is still running when the writer has
	// finished: it puts its job in the queue after the writer's stop, and answers 202.
	writerStopped, slowIn := make(chan struct{}), make(chan struct{})
	var stoppedOnce sync.Once
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		id, err := strconv.Atoi(string(ctx.QueryArgs().Peek("id")))
		if err != nil {
			ctx.SetStatusCode(fasthttp.StatusBadRequest)
			return
		}
		if ctx.QueryArgs().Has("slow") {
			close(slowIn)
			select {
			case <-writerStopped:
			case <-ctx.Done():
				ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
				return
			}
		}
		select {
		case jobs <- id:
			ctx.SetStatusCode(fasthttp.StatusAccepted)
		case <-ctx.Done(): // the doc: the hard cancel
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		}
	}}
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(100*time.Millisecond),
		grace.WithObserver(func(e grace.Event) {
			if e.Kind == grace.EventStopped && e.Component == "writer" {
				stoppedOnce.Do(func() { close(writerStopped) })
			}
		}))
	web := gracefasthttp.New(srv, gracefasthttp.WithAddr("127.0.0.1:0"), gracefasthttp.WithHealth(app))
	if siblings {
		app.Add("db", grace.Hook{})
		app.Add("writer", writer, grace.DependsOn("db"))
		app.Add("http", web, grace.DependsOn("db"), grace.StopTimeout(time.Second))
	} else {
		app.Add("writer", writer)
		app.Add("http", web) // the safe default: http depends on writer, so it stops first
	}

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
	url := fmt.Sprintf("http://%s/job?id=", web.Addr())

	// Real clients, keep-alive, posting until the server stops answering.
	var (
		next       atomic.Int64
		acceptedMu sync.Mutex
		accepted   []int
		clients    sync.WaitGroup
		earlyErrs  atomic.Int64
	)
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	slowAccepted := make(chan bool, 1)
	if siblings {
		clients.Add(1)
		go func() {
			defer clients.Done()
			resp, err := client.Post(url+"-1&slow=1", "text/plain", nil)
			if err != nil {
				slowAccepted <- false
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				acceptedMu.Lock()
				accepted = append(accepted, -1)
				acceptedMu.Unlock()
			}
			slowAccepted <- resp.StatusCode == http.StatusAccepted
		}()
		select {
		case <-slowIn:
		case <-time.After(10 * time.Second):
			t.Fatal("the slow request never reached its handler")
		}
	}
	for range 8 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for {
				id := int(next.Add(1))
				resp, err := client.Post(url+strconv.Itoa(id), "text/plain", nil)
				if err != nil {
					if app.Phase() >= grace.PhaseStopping {
						return // intake closed: refused or closed, never accepted
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
	go func() { clients.Wait(); close(clientsDone) }()
	select {
	case <-clientsDone:
	case <-time.After(10 * time.Second):
		t.Fatal("clients still posting 10 s after the stop")
	}

	if r.err != nil && (!siblings || r.rep.Lost == 0) {
		t.Fatalf("Run: %v\n%s", r.err, r.rep)
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
	for id, c := range written {
		if c > 1 {
			t.Errorf("job %d written %d times", id, c)
		}
	}
	if int64(len(missing)) > r.rep.Lost {
		t.Fatalf("%d jobs accepted with 202 and never written (e.g. %v), report says lost %d\n%s",
			len(missing), missing[:min(5, len(missing))], r.rep.Lost, r.rep)
	}
	if siblings {
		// Whatever the order turned out to be, nothing vanished (checked above), and a loss, if
		// any, is in the exit code.
		if r.rep.Lost > 0 && r.rep.ExitCode != grace.ExitLost {
			t.Fatalf("lost %d with exit code %d\n%s", r.rep.Lost, r.rep.ExitCode, r.rep)
		}
		if !<-slowAccepted {
			t.Fatal("the slow request was not accepted after the writer's stop: the test did not provoke the late job")
		}
		if r.rep.Lost == 0 || !errors.Is(r.err, grace.ErrLost) {
			t.Fatalf("a job accepted after the writer stopped sits in the queue (%d left), report says lost %d, err %v\n%s",
				len(jobs), r.rep.Lost, r.err, r.rep)
		}
		t.Logf("siblings: accepted %d, written %d, missing %d, lost %d, left in queue %d", len(accepted), len(written), len(missing), r.rep.Lost, len(jobs))
		return
	}
	// The writer catches up within its limit, so nothing may be lost at all.
	if len(missing) > 0 || r.rep.Lost != 0 || r.rep.ExitCode != grace.ExitClean {
		t.Fatalf("missing %d, lost %d, exit code %d; want 0, 0, 0\n%s", len(missing), r.rep.Lost, r.rep.ExitCode, r.rep)
	}
	if len(accepted) < 300 {
		t.Fatalf("only %d jobs accepted: not under load", len(accepted))
	}
	t.Logf("accepted %d, written %d, lost %d", len(accepted), len(written), r.rep.Lost)
}
