package gracefasthttp_test

// Written from the package doc, the doc comments and grace.Consume's doc alone, in the shape a
// user writes: a fasthttp handler that accepts a job (202) by putting it in a queue, and a
// grace.Consume writer that handles the queue. Real clients keep posting jobs while the app is
// stopped; every job a client saw accepted must be written, or counted as lost in the report.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/internal/testkit"
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
	jobs := testkit.NewJobs()
	writer := grace.Consume(jobs.Queue, jobs.Write)

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
		case jobs.Queue <- id:
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
	run := testkit.Run(t, app)
	run.Ready(t)
	url := fmt.Sprintf("http://%s/job?id=", web.Addr())

	// Real clients, keep-alive, posting until the server stops answering.
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	slowAccepted := make(chan bool, 1)
	if siblings {
		go func() {
			r := testkit.Fetch(client, url+"-1&slow=1")
			if r.Status == http.StatusAccepted {
				jobs.Accepted(-1)
			}
			slowAccepted <- r.Status == http.StatusAccepted
		}()
		testkit.Await(t, slowIn, 10*time.Second, "the slow request to reach its handler")
	}
	jobs.Post(app, client, 8, func(id int) string { return url + strconv.Itoa(id) })

	jobs.AwaitWritten(t, 300, 10*time.Second)
	app.Stop("test: under load")
	testkit.Await(t, run.Ended(), 10*time.Second, "Run to return after App.Stop")
	r := run.Wait(t)
	jobs.AwaitClients(t, 10*time.Second)
	rep := r.Report

	if r.Err != nil && (!siblings || rep.Lost == 0) {
		t.Fatalf("Run: %v\n%s", r.Err, rep)
	}
	tally := jobs.Tally(t)
	if int64(len(tally.Missing)) > rep.Lost {
		t.Fatalf("%d jobs accepted with 202 and never written (e.g. %v), report says lost %d\n%s",
			len(tally.Missing), tally.Missing[:min(5, len(tally.Missing))], rep.Lost, rep)
	}
	if siblings {
		// Whatever the order turned out to be, nothing vanished (checked above), and a loss, if
		// any, is in the exit code.
		if rep.Lost > 0 && rep.ExitCode != grace.ExitLost {
			t.Fatalf("lost %d with exit code %d\n%s", rep.Lost, rep.ExitCode, rep)
		}
		if !testkit.Recv(t, slowAccepted, 10*time.Second, "the slow request's answer") {
			t.Fatal("the slow request was not accepted after the writer's stop: the test did not provoke the late job")
		}
		if rep.Lost == 0 || !errors.Is(r.Err, grace.ErrLost) {
			t.Fatalf("a job accepted after the writer stopped sits in the queue (%d left), report says lost %d, err %v\n%s",
				tally.Queued, rep.Lost, r.Err, rep)
		}
		t.Logf("siblings: %+v, lost %d", tally, rep.Lost)
		return
	}
	// The writer catches up within its limit, so nothing may be lost at all.
	if len(tally.Missing) > 0 || rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Fatalf("missing %d, lost %d, exit code %d; want 0, 0, 0\n%s", len(tally.Missing), rep.Lost, rep.ExitCode, rep)
	}
	if tally.Accepted < 300 {
		t.Fatalf("only %d jobs accepted: not under load", tally.Accepted)
	}
	t.Logf("%+v, lost %d", tally, rep.Lost)
}
