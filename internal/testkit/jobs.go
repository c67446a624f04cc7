package testkit

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

// Jobs is the job queue of the HTTP adapters' stranger tests: the test's handler accepts a job by
// putting its id in [Jobs.Queue] and answering 202 Accepted; a grace.Consume of the queue with
// [Jobs.Write] writes them, slowly; clients started by [Jobs.Post] post jobs until the server
// stops answering. Jobs keeps the books the test then checks ([Jobs.Tally]): the ids a client saw
// accepted, and how often each was written. It is safe for concurrent use.
type Jobs struct {
	// Queue is the jobs' queue: small, so that handlers block on it under load.
	Queue chan int

	mu       sync.Mutex
	written  map[int]int
	accepted []int
	wrote    chan struct{} // a job was written since the last look

	next    atomic.Int64
	early   atomic.Int64 // requests that failed before the app began stopping
	clients sync.WaitGroup
}

// NewJobs returns a job queue of capacity 16.
func NewJobs() *Jobs {
	return &Jobs{Queue: make(chan int, 16), written: map[int]int{}, wrote: make(chan struct{}, 1)}
}

// Write writes the job id, taking 100 µs (a slow consumer): the handle function for
// grace.Consume(j.Queue, j.Write).
func (j *Jobs) Write(_ context.Context, id int) error {
	time.Sleep(100 * time.Microsecond)
	j.mu.Lock()
	j.written[id]++
	j.mu.Unlock()
	select {
	case j.wrote <- struct{}{}:
	default:
	}
	return nil
}

// Accepted records that a client saw job id accepted, for a request the test sends itself.
func (j *Jobs) Accepted(id int) {
	j.mu.Lock()
	j.accepted = append(j.accepted, id)
	j.mu.Unlock()
}

// Post starts n clients that post jobs numbered from 1 up, each to url(id) with c, and record
// those answered 202 Accepted. A client ends at its first failed request once app has begun
// stopping (intake closed: refused or closed, never accepted); a failure before that is counted
// and reported by [Jobs.Tally]. [Jobs.AwaitClients] waits for them.
func (j *Jobs) Post(app *grace.App, c *http.Client, n int, url func(id int) string) {
	for range n {
		j.clients.Go(func() {
			for {
				id := int(j.next.Add(1))
				resp, err := c.Post(url(id), "text/plain", nil)
				if err != nil {
					if app.Phase() >= grace.PhaseStopping {
						return
					}
					j.early.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					j.Accepted(id)
				}
			}
		})
	}
}

// AwaitWritten waits until n jobs were written (counting every write), at most d, and fails t
// if they were not.
func (j *Jobs) AwaitWritten(t testing.TB, n int, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for i := range n {
		select {
		case <-j.wrote:
		case <-timer.C:
			t.Fatalf("the writer wrote %d jobs of %d in %v", i, n, d)
		}
	}
}

// AwaitClients waits until every client of [Jobs.Post] has ended, at most d, and fails t if one
// has not.
func (j *Jobs) AwaitClients(t testing.TB, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { j.clients.Wait(); close(done) }()
	Await(t, done, d, "the clients to stop posting after the stop")
}

// JobsTally is what the books of [Jobs] say.
type JobsTally struct {
	Accepted int   // jobs a client saw accepted
	Written  int   // distinct jobs written
	Missing  []int // accepted and never written
	Queued   int   // left in the queue
}

// Tally returns what the books say, once the clients are done. It fails t (without stopping it)
// for every job written more than once and for the requests that failed before the app began
// stopping.
func (j *Jobs) Tally(t testing.TB) JobsTally {
	t.Helper()
	if n := j.early.Load(); n > 0 {
		t.Errorf("%d requests failed before the stop", n)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for id, n := range j.written {
		if n > 1 {
			t.Errorf("job %d written %d times", id, n)
		}
	}
	tally := JobsTally{Accepted: len(j.accepted), Written: len(j.written), Queued: len(j.Queue)}
	for _, id := range j.accepted {
		if j.written[id] == 0 {
			tally.Missing = append(tally.Missing, id)
		}
	}
	return tally
}
