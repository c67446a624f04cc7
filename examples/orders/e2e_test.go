package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/examples/orders/internal/api"
	"github.com/gracekit/grace/examples/orders/internal/store"
)

// Flags every end-to-end run uses: a short drain, simulated work per fulfilment so that messages
// are in flight when the stop comes, and no quiet-period shortcut (the client here keeps sending).
var e2eFlags = []string{"--drain-delay", "300ms", "--quiet-period", "0", "--budget", "10s",
	"--http-timeout", "8s", "--worker-timeout", "8s", "--fulfil-delay", "2ms", "--expire-every", "1s"}

// The runs of testNoOrderLost: how each ends.
var runEnds = []string{"SIGTERM", "SIGKILL", "SIGTERM"}

func TestNoOrderLostAcrossRestartsDefaults(t *testing.T) { testNoOrderLost(t, defaults(t)) }
func TestNoOrderLostAcrossRestartsPostgres(t *testing.T) { testNoOrderLost(t, postgres(t)) }
func TestNoOrderLostAcrossRestartsKafka(t *testing.T)    { testNoOrderLost(t, kafka(t)) }
func TestNoOrderLostAcrossRestartsAMQP(t *testing.T)     { testNoOrderLost(t, rabbitmq(t)) }

// testNoOrderLost runs the service several times; each time a Go client posts orders from 8
// goroutines, and SIGTERM comes under that load; the client then plays a load balancer's part,
// polling /readyz every 50 ms and sending nothing new once it says 503. Every request it sent
// must be answered 201: none refused, dropped or failed. Once, the process is killed (SIGKILL)
// instead, to force redeliveries of messages handled but not acknowledged. At the end every order
// that got a 2xx must be in the database and fulfilled exactly once (one "fulfilled" event), and
// no order at all fulfilled twice, although deliveries cross the restarts.
func testNoOrderLost(t *testing.T, be *backend) {
	var accepted []string
	var dup int64
	args := append(append([]string{}, be.args...), e2eFlags...)
	for i, end := range runEnds {
		p := start(t, args...)
		ctx, cancel := context.WithCancel(context.Background())
		l := newLoader(ctx, p.url, 8)
		if err := l.waitOK(150, 20*time.Second); err != nil {
			cancel()
			t.Fatal(err)
		}
		if end == "SIGKILL" {
			_ = p.cmd.Process.Kill()
		} else {
			p.term()
			l.followReadiness(ctx, p.url+"/readyz", 50*time.Millisecond)
		}
		code := p.wait(20 * time.Second) // the load keeps going until the process is gone
		cancel()
		ids, failures := l.result()
		accepted = append(accepted, ids...)
		c := p.counters()
		dup += c["duplicate_deliveries_total"]
		t.Logf("%s run %d (%s): %d orders accepted, client failures %v, exit %d, counters %v", be.name, i+1, end, len(ids), failures, code, c)
		if end == "SIGKILL" {
			continue
		}
		if code != 0 {
			t.Fatalf("run %d: exit code %d, want 0 (a clean stop)", i+1, code)
		}
		if len(failures) > 0 {
			t.Errorf("run %d: requests failed during a graceful stop: %v", i+1, failures)
		}
	}
	// One more run with no load delivers what the restarts left in the broker.
	p := start(t, args...)
	db := be.open()
	waitFor(t, 40*time.Second, "every accepted order fulfilled", func() bool {
		return countFulfilled(db, accepted) == len(accepted)
	})
	p.term()
	if code := p.wait(20 * time.Second); code != 0 {
		t.Fatalf("last run: exit code %d", code)
	}
	dup += p.counters()["duplicate_deliveries_total"]
	fulfilled, stranded := checkExactlyOnce(t, db, accepted)
	t.Logf("%s: %d orders accepted over %d runs (one killed), all stored, %d fulfilled exactly once, 0 twice; "+
		"%d duplicate deliveries absorbed; %d orders committed but never published (the kill), left to the expiry job",
		be.name, len(accepted), len(runEnds), fulfilled, dup, stranded)
}

// countFulfilled counts the ids among ids whose order is fulfilled.
func countFulfilled(db *sql.DB, ids []string) int {
	rows, err := db.Query(`SELECT id FROM orders WHERE status = 'fulfilled'`)
	if err != nil {
		return -1
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			done[id] = true
		}
	}
	n := 0
	for _, id := range ids {
		if done[id] {
			n++
		}
	}
	return n
}

// checkExactlyOnce checks that every accepted order is stored and fulfilled once, and that no
// order at all was fulfilled twice. It returns the number fulfilled, and the number of orders
// never accepted that are still new (committed, then the process was killed before publishing).
func checkExactlyOnce(t *testing.T, db *sql.DB, accepted []string) (fulfilled, stranded int) {
	t.Helper()
	status := map[string]string{}
	rows, err := db.Query(`SELECT id, status FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			t.Fatal(err)
		}
		status[id] = st
	}
	rows.Close()
	events := map[string]int{}
	rows, err = db.Query(`SELECT order_id, COUNT(*) FROM order_events WHERE kind = 'fulfilled' GROUP BY order_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		events[id] = n
	}
	rows.Close()
	lost, notFulfilled := 0, 0
	for _, id := range accepted {
		st, ok := status[id]
		switch {
		case !ok:
			lost++
		case st != store.StatusFulfilled || events[id] != 1:
			notFulfilled++
		}
	}
	twice := 0
	isAccepted := map[string]bool{}
	for _, id := range accepted {
		isAccepted[id] = true
	}
	for id, n := range events {
		if n > 1 {
			twice++
		}
		if status[id] != store.StatusFulfilled {
			t.Errorf("order %s has a fulfilled event but status %q", id, status[id])
		}
	}
	for id, st := range status {
		if st == store.StatusNew {
			if isAccepted[id] {
				t.Errorf("accepted order %s is still new", id)
			}
			stranded++
		}
		if st == store.StatusFulfilled {
			fulfilled++
			if events[id] == 0 {
				t.Errorf("order %s fulfilled without its event", id)
			}
		}
	}
	if lost > 0 || notFulfilled > 0 || twice > 0 {
		t.Fatalf("%d accepted orders: %d lost, %d not fulfilled exactly once; %d orders fulfilled more than once",
			len(accepted), lost, notFulfilled, twice)
	}
	return fulfilled, stranded
}

// An upload in flight at SIGTERM either completes (it ends within the drain) or is rejected at
// the hard deadline (it never ends); no partial file is left behind either way.
func TestUploadInFlightCompletesOrLeavesNothing(t *testing.T) {
	be := defaults(t)
	p := start(t, append(be.args, "--budget", "3s", "--drain-delay", "300ms", "--quiet-period", "0", "--http-timeout", "3s")...)
	id := createOrder(t, p.url)

	const chunk, finiteChunks = 64 << 10, 16 // 1 MiB, sent over about 0.8 s
	type result struct {
		status int
		err    error
	}
	upload := func(name string, chunks int) (chan result, *io.PipeWriter) {
		pr, pw := io.Pipe()
		go func() {
			buf := make([]byte, chunk)
			for i := 0; chunks < 0 || i < chunks; i++ {
				if _, err := pw.Write(buf); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond) // the pace of a slow client
			}
			pw.Close()
		}()
		res := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodPost, p.url+"/orders/"+id+"/attachments?name="+name, pr)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				res <- result{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			res <- result{status: resp.StatusCode}
		}()
		return res, pw
	}
	finite, _ := upload("finite.bin", finiteChunks)
	endless, endlessW := upload("endless.bin", -1)
	defer endlessW.Close()
	dir := api.AttachmentsDir(be.dataDir, id)
	waitFor(t, 10*time.Second, "both uploads being written", func() bool { return len(tempFiles(dir)) == 2 })
	p.term()
	fr := <-finite
	if fr.err != nil || fr.status != http.StatusCreated {
		t.Errorf("upload that ends during the drain: status %d, error %v; want 201", fr.status, fr.err)
	}
	er := <-endless
	if er.err == nil && er.status < 300 {
		t.Errorf("endless upload got %d; want it rejected", er.status)
	}
	code := p.wait(10 * time.Second)
	t.Logf("finite upload: %d %v; endless upload: %d %v; exit %d", fr.status, fr.err, er.status, er.err, code)

	if left := tempFiles(dir); len(left) > 0 {
		t.Errorf("partial upload files left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "endless.bin")); err == nil {
		t.Error("the rejected upload was kept")
	}
	fi, err := os.Stat(filepath.Join(dir, "finite.bin"))
	if err != nil || fi.Size() != chunk*finiteChunks {
		t.Errorf("completed upload on disk: %v, size %d; want %d bytes", err, sizeOf(fi), chunk*finiteChunks)
	}
	var n int
	if err := be.open().QueryRow(`SELECT COUNT(*) FROM attachments WHERE order_id = $1`, id).Scan(&n); err != nil || n != 1 {
		t.Errorf("attachments recorded: %d (%v); want 1", n, err)
	}
}

func TestTxInFlightAtDeadlineRollsBackDefaults(t *testing.T) { testTxRollback(t, defaults(t)) }
func TestTxInFlightAtDeadlineRollsBackPostgres(t *testing.T) { testTxRollback(t, postgres(t)) }

// A transaction still open at the stop's hard deadline is rolled back: its order and its event
// are both absent (nothing half applied), no session is left in a transaction, and the database
// takes writes again at the next start.
func testTxRollback(t *testing.T, be *backend) {
	args := append(append([]string{}, be.args...), "--test-hooks", "--budget", "2s", "--drain-delay", "200ms", "--quiet-period", "0")
	p := start(t, args...)
	customer := "held-" + store.NewID()
	res := make(chan int, 1)
	go func() {
		body := fmt.Sprintf(`{"customer":%q,"items":[{"sku":"a","quantity":1,"price_cents":100}]}`, customer)
		req, _ := http.NewRequest(http.MethodPost, p.url+"/orders", strings.NewReader(body))
		req.Header.Set(api.TestHoldHeader, "60s")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- 0
			return
		}
		resp.Body.Close()
		res <- resp.StatusCode
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	waitFor(t, 10*time.Second, "the transaction held open", func() bool { return p.metric(ctx, "test_holds_in_progress") == 1 })
	if be.isPG {
		if n := pgSessionsInTx(t, be); n != 1 {
			t.Fatalf("sessions in a transaction before the stop: %d, want 1", n)
		}
	}
	begin := time.Now()
	p.term()
	status := <-res
	code := p.wait(10 * time.Second)
	took := time.Since(begin)
	t.Logf("held request answered %d; exit %d after %v", status, code, took.Round(time.Millisecond))
	if status >= 200 && status < 300 {
		t.Fatalf("held request got %d; want it refused", status)
	}
	if took > 4*time.Second {
		t.Errorf("stop took %v with a 2 s budget", took)
	}
	db := be.open()
	var orders, orphans int
	if err := db.QueryRow(`SELECT COUNT(*) FROM orders WHERE customer = $1`, customer).Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM order_events e WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = e.order_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orders != 0 || orphans != 0 {
		t.Fatalf("after the stop: %d held orders, %d events without their order; want none (rolled back whole)", orders, orphans)
	}
	if be.isPG {
		if n := pgSessionsInTx(t, be); n != 0 {
			t.Errorf("sessions left in a transaction after the stop: %d", n)
		}
	} else {
		var ok string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Errorf("integrity check: %q %v", ok, err)
		}
	}
	// The next start writes at once: no lock or transaction was left behind.
	p = start(t, be.args...)
	createOrder(t, p.url)
	p.term()
	p.wait(20 * time.Second)
}

func pgSessionsInTx(t *testing.T, be *backend) int {
	t.Helper()
	var n int
	if err := be.admin().QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'`,
		be.pgDB).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func createOrder(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/orders", "application/json",
		strings.NewReader(`{"customer":"c","items":[{"sku":"a","quantity":1,"price_cents":100}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create order: %d %s", resp.StatusCode, b)
	}
	var r struct{ ID string }
	if err := jsonUnmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func tempFiles(dir string) []string {
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), api.TempPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The same service with the seed's hand-written shutdown (--naive), under the same load and the
// same load-balancer behaviour, fails requests: the listener closes at the signal while readiness
// still says 200. This is what testNoOrderLost would see if grace's drain were taken away.
func TestNaiveBuildFailsRequestsUnderTheSameDrill(t *testing.T) {
	be := defaults(t)
	p := start(t, append(be.args, "--naive", "--fulfil-delay", "2ms")...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := newLoader(ctx, p.url, 8)
	if err := l.waitOK(150, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	p.term()
	l.followReadiness(ctx, p.url+"/readyz", 50*time.Millisecond)
	code := p.wait(20 * time.Second)
	waitFor(t, 10*time.Second, "the client to see the instance gone", l.notReady.Load)
	cancel()
	ids, failures := l.result()
	t.Logf("naive: %d orders accepted, failures %v, exit %d", len(ids), failures, code)
	if len(failures) == 0 {
		t.Fatal("the naive build failed no request: the drill cannot tell a graceful stop from a naive one")
	}
}

// The ticker jobs run and stop with the app: the expiry job retires an order left new by a crash
// between commit and publish, and the pool-maintenance job pings the pool.
func TestJobsRunAndStopCleanly(t *testing.T) {
	be := defaults(t)
	p := start(t, append(be.args, "--expire-every", "100ms", "--expire-after", "1m", "--pool-every", "100ms",
		"--drain-delay", "0s")...)
	db := be.open()
	stale, fresh := store.NewID(), store.NewID()
	old := time.Now().Add(-time.Hour).UnixMilli()
	for _, o := range []struct {
		id string
		at int64
	}{{stale, old}, {fresh, time.Now().UnixMilli()}} {
		if _, err := db.Exec(`INSERT INTO orders (id, customer, items, total_cents, status, created_at, updated_at)
			VALUES ($1, 'crash', '[]', 0, 'new', $2, $2)`, o.id, o.at); err != nil {
			t.Fatal(err)
		}
	}
	status := func(id string) string {
		var s string
		_ = db.QueryRow(`SELECT status FROM orders WHERE id = $1`, id).Scan(&s)
		return s
	}
	waitFor(t, 10*time.Second, "the stale order expired", func() bool { return status(stale) == store.StatusExpired })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitFor(t, 10*time.Second, "a pool ping", func() bool { return p.metric(ctx, "pool_pings_total") > 0 })
	if s := status(fresh); s != store.StatusNew {
		t.Errorf("the young order is %q, want it left new", s)
	}
	p.term()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range []string{"expiry", "pool-maintenance"} {
		if !strings.Contains(p.output(), "report."+c+".state=stopped") {
			t.Errorf("the report does not show %s stopped", c)
		}
	}
}
