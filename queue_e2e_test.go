package grace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
)

// The first shape of issue 12, as a built binary (this test binary, re-run as a child): an HTTP
// handler answers 202 once it has put a job on a buffered channel (1,024 slots); a grace.Consume
// writer journals each job, slower than they arrive (a backlog); a grace.Hook closes the channel
// after the HTTP server stopped. The test process loads it open-loop and sends SIGTERM mid-load.
const queueEnv = "GRACE_QUEUE_CHILD" // "<journal path>,<per-job ms>,<writer limit ms>"

// queueMain is the service, written from the docs of Consume, Hook and gracehttp.
func queueMain(spec string) {
	parts := bytes.Split([]byte(spec), []byte(","))
	journalPath := string(parts[0])
	perMs, _ := strconv.Atoi(string(parts[1]))
	limitMs, _ := strconv.Atoi(string(parts[2]))
	journal, err := os.OpenFile(journalPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	defer journal.Close()
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	app := grace.New(grace.WithLogger(log), grace.WithBudget(10*time.Second))

	jobs := make(chan int, 1024)
	// The writer first: everything added after it depends on it, so it stops last.
	app.Add("writer", grace.Consume(jobs, func(ctx context.Context, id int) error {
		select {
		case <-time.After(time.Duration(perMs) * time.Millisecond): // the write's cost
		case <-ctx.Done():
			return ctx.Err() // cut at the writer's deadline: not journalled
		}
		_, err := fmt.Fprintf(journal, "%d\n", id)
		return err
	}), grace.StopTimeout(time.Duration(limitMs)*time.Millisecond))
	// Closes the queue once the HTTP server, added after it, has stopped.
	app.Add("close-jobs", grace.Hook{OnStop: func(context.Context) error { close(jobs); return nil }})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		select {
		case jobs <- id:
			w.WriteHeader(http.StatusAccepted)
		case <-r.Context().Done():
			http.Error(w, "queue full", http.StatusServiceUnavailable)
		}
	})
	srv := gracehttp.New(&http.Server{Addr: "127.0.0.1:0", Handler: mux})
	app.Add("http", srv)
	go func() {
		<-app.Await(grace.PhaseReady)
		if app.Phase() == grace.PhaseReady {
			log.Info("listening", "addr", srv.Addrs()[0].String())
		}
	}()
	app.Main()
}

type queueRun struct {
	accepted, handled int64
	unhandled         []int // answered 202, never journalled
	exit              int
	lost              int64
	report            string
}

// runQueueChild starts the service, loads it at one request every pace from this process
// (open loop: each request in its own goroutine, whatever the answers), sends SIGTERM after
// loadFor, keeps loading until the child exits, and counts.
func runQueueChild(t *testing.T, perMs, limitMs int, pace, loadFor time.Duration, keepAlive bool) queueRun {
	t.Helper()
	journal := filepath.Join(t.TempDir(), "journal")
	c := testkit.StartChildLines(t, fmt.Sprintf("%s=%s,%d,%d", queueEnv, journal, perMs, limitMs))
	type line struct {
		Msg    string          `json:"msg"`
		Addr   string          `json:"addr"`
		Report json.RawMessage `json:"report"`
	}
	parse := func(s string) (l line) { json.Unmarshal([]byte(s), &l); return l }
	said := c.ReadUntil(t, 20*time.Second, "where the service listens", func(s string) bool { return parse(s).Msg == "listening" })
	addr := parse(said[len(said)-1]).Addr

	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableKeepAlives: !keepAlive}}
	defer client.CloseIdleConnections()
	var accepted atomic.Int64
	var acceptedIDs sync.Map
	var requests sync.WaitGroup
	tick := time.NewTicker(pace)
	defer tick.Stop()
	signalAt := time.After(loadFor)
	for id := 1; ; id++ {
		select {
		case <-signalAt:
			c.Signal(t, syscall.SIGTERM)
			signalAt = nil
		case <-c.Exited():
			requests.Wait()
			code := exitCode(t, c.Err())
			var rep line
			for _, s := range c.Output() {
				if l := parse(s); l.Msg == "grace: shutdown report" {
					rep = l
				}
			}
			data, err := os.ReadFile(journal)
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Lost int64 `json:"lost"`
			}
			if err := json.Unmarshal(rep.Report, &r); err != nil {
				t.Fatalf("no JSON report: %v", err)
			}
			run := queueRun{accepted: accepted.Load(), exit: code, lost: r.Lost, report: string(rep.Report)}
			journalled := map[int]bool{}
			for _, l := range bytes.Fields(data) {
				id, _ := strconv.Atoi(string(l))
				journalled[id] = true
				run.handled++
			}
			acceptedIDs.Range(func(k, _ any) bool {
				if !journalled[k.(int)] {
					run.unhandled = append(run.unhandled, k.(int))
				}
				return true
			})
			return run
		case <-tick.C:
			requests.Go(func() {
				resp, err := client.Post(fmt.Sprintf("http://%s/jobs/%d", addr, id), "text/plain", nil)
				if err != nil {
					if os.Getenv("GRACE_QUEUE_DEBUG") != "" {
						t.Logf("request %d: %v", id, err)
					}
					return // refused once intake closed: never accepted
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					accepted.Add(1)
					acceptedIDs.Store(id, true)
				}
			})
		}
	}
}

// The writer can catch up within its limit: every job answered 202 is journalled, over five
// runs, and the stop is clean. The load opens a connection per request, as an open-loop load
// generator does.
func TestQueueShapeLosesNothingUnderSIGTERM(t *testing.T) {
	for i := range 5 {
		r := runQueueChild(t, 2, 5000, 500*time.Microsecond, 200*time.Millisecond, false)
		t.Logf("run %d: accepted %d, handled %d, exit %d", i+1, r.accepted, r.handled, r.exit)
		if r.accepted == 0 || r.handled != r.accepted || len(r.unhandled) > 0 || r.exit != grace.ExitClean || r.lost != 0 {
			t.Errorf("run %d: accepted %d, handled %d (accepted, never handled: %v), exit %d, lost %d; report %s",
				i+1, r.accepted, r.handled, r.unhandled, r.exit, r.lost, r.report)
		}
	}
}

// The same over keep-alive connections. Every job answered 202 is handled; but a 202 can fail to
// reach the client when its connection is closed at the stop (the client sees EOF), so the test
// holds the engine's side of the promise — nothing accepted is lost — and logs the difference.
func TestQueueShapeLosesNothingOverKeepAlive(t *testing.T) {
	r := runQueueChild(t, 2, 5000, 500*time.Microsecond, 200*time.Millisecond, true)
	t.Logf("accepted %d, handled %d, exit %d", r.accepted, r.handled, r.exit)
	if r.accepted == 0 || len(r.unhandled) > 0 || r.handled < r.accepted || r.exit != grace.ExitClean || r.lost != 0 {
		t.Errorf("accepted %d, handled %d (accepted, never handled: %v), exit %d, lost %d; report %s",
			r.accepted, r.handled, r.unhandled, r.exit, r.lost, r.report)
	}
	if r.handled > r.accepted {
		t.Logf("%d jobs handled whose 202 the client never received (connection closed at the stop)", r.handled-r.accepted)
	}
}

// The writer cannot finish in its limit: the service exits with ExitLost, and the loss in its
// JSON report is what clients were told was accepted and was never handled — plus, at most, the
// one value the abandoned writer had in hand, which Consume counts as lost even when it finishes
// after the report (its documented, conservative rule): never less than what was lost.
func TestQueueShapeCountsWhatTheWriterCannotFinish(t *testing.T) {
	r := runQueueChild(t, 5, 150, 500*time.Microsecond, 200*time.Millisecond, false)
	t.Logf("accepted %d, handled %d, lost %d, exit %d", r.accepted, r.handled, r.lost, r.exit)
	missing := r.accepted - r.handled
	if r.exit != grace.ExitLost || r.lost == 0 || r.lost < missing || r.lost > missing+1 || missing != int64(len(r.unhandled)) {
		t.Errorf("accepted %d, handled %d, exit %d, lost %d (want exit %d and lost = accepted - handled, or one more for the value in hand); report %s",
			r.accepted, r.handled, r.exit, r.lost, grace.ExitLost, r.report)
	}
}
