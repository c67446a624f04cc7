package gracepgx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracepgx"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/jackc/pgx/v5/pgxpool"
)

func newPool(t *testing.T, addr string, opts ...gracepgx.Option) *gracepgx.Pool {
	t.Helper()
	p, err := gracepgx.New(context.Background(), poolConfig(t, addr), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Pool().Close)
	return p
}

// holding is a worker that acquires a connection of pool, ignoring its own stop, and runs use
// on it; the acquire's error, or use's, goes to done.
func holding(pool *gracepgx.Pool, done chan<- error, use func(*pgxpool.Conn) error) grace.RunFunc {
	return func(context.Context) error {
		conn, err := pool.Pool().Acquire(context.Background())
		if err != nil {
			done <- err
			return err
		}
		defer conn.Release()
		done <- use(conn)
		return nil
	}
}

// table creates a fresh table for one test and returns its name.
func table(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("gracepgx_%d", time.Now().UnixNano())
	c := connect(t)
	if _, err := c.Exec(context.Background(), "create table "+name+" (id int)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = connect(t).Exec(context.Background(), "drop table "+name) })
	return name
}

func rows(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := connect(t).QueryRow(context.Background(), "select count(*) from "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBadOptionsAreAConfigErrorBeforeAnythingStarts(t *testing.T) {
	pool := newPool(t, "", gracepgx.WithCutMargin(-time.Second))
	var ce *grace.ConfigError
	if err := pool.Validate(); !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0] != "cut margin must be positive, got -1s" {
		t.Fatalf("Validate with a negative margin = %#v, want one problem naming it", err)
	}
	started := false
	app := testkit.NewApp()
	app.Add("pg", pool)
	app.Add("user", grace.Hook{OnStart: func(context.Context) error { started = true; return nil }})
	_, err := app.Run(context.Background())
	if !errors.Is(err, grace.ErrInvalid) || !strings.Contains(err.Error(), `component "pg": cut margin must be positive, got -1s`) || started {
		t.Fatalf("Run = %v (user started: %v), want the config error, nothing started", err, started)
	}
	if err := pool.Start(context.Background()); !errors.Is(err, grace.ErrInvalid) {
		t.Fatalf("Start outside an app = %v, want the config error", err)
	}
	if _, err := gracepgx.New(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "nil pool config") {
		t.Fatalf("New with a nil config = %v", err)
	}
}

func TestStartFailsWhenTheServerIsUnreachable(t *testing.T) {
	pool := newPool(t, testkit.ClosedAddr(t))
	app := testkit.NewApp()
	app.Add("pg", pool)
	app.Add("user", grace.Hook{})
	rep, err := app.Run(context.Background())
	if err == nil || rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("Run = %v (exit %d), want a failed start", err, rep.ExitCode)
	}
	c := rep.Component("pg")
	if c.State != grace.StateFailed || !strings.Contains(c.Error, "start pg: ping database: failed to connect") ||
		!strings.Contains(c.Error, "connection refused") {
		t.Fatalf("pg: state %q, error %q", c.State, c.Error)
	}
	if !pool.CloseStats().Closed {
		t.Fatal("the pool was not closed after the failed start")
	}
}

func TestClosesAfterItsDependents(t *testing.T) {
	pool := newPool(t, "")
	app := testkit.NewApp()
	app.Add("pg", pool)
	testkit.RunWithDependent(t, app, func(ctx context.Context) error {
		_, err := pool.Pool().Exec(ctx, "select 1")
		return err
	})
	if _, err := pool.Pool().Exec(context.Background(), "select 1"); err == nil || !strings.Contains(err.Error(), "closed pool") {
		t.Fatalf("query after the stop = %v, want a closed pool", err)
	}
	if st := pool.CloseStats(); !st.Closed || st.AcquiredAtStop != 0 || st.Forced != 0 {
		t.Fatalf("CloseStats = %+v", st)
	}
}

// holder is a component that holds a transaction and ignores its stop (a hung handler): it is
// abandoned at its limit, so the pool's turn comes while the transaction is still open.
type holder struct {
	began   chan struct{} // closed once the transaction has written its row
	release chan struct{} // the holder tries to commit when this is closed
	done    chan error    // the commit's result
	pid     uint32
}

func newHolder() *holder {
	return &holder{began: make(chan struct{}), release: make(chan struct{}), done: make(chan error, 1)}
}

func (h *holder) run(pool *gracepgx.Pool, table string) grace.RunFunc {
	return func(context.Context) error {
		bg := context.Background()
		tx, err := pool.Pool().Begin(bg)
		if err != nil {
			h.done <- err
			return err
		}
		h.pid = tx.Conn().PgConn().PID()
		if _, err := tx.Exec(bg, "insert into "+table+" values (1)"); err != nil {
			h.done <- err
			return err
		}
		close(h.began)
		<-h.release
		h.done <- tx.Commit(bg)
		return nil
	}
}

func TestTransactionFinishingBeforeTheDeadlineCommits(t *testing.T) {
	tbl := table(t)
	pool := newPool(t, "")
	h := newHolder()
	app := testkit.NewApp()
	app.Add("pg", pool, grace.StopTimeout(10*time.Second))
	app.Add("worker", h.run(pool, tbl), grace.StopTimeout(50*time.Millisecond))
	go func() {
		// The worker is abandoned at 50 ms, the pool waits; the transaction commits a little later.
		<-app.Await(grace.PhaseStopping)
		time.Sleep(300 * time.Millisecond)
		close(h.release)
	}()
	rep, err := testkit.RunAndStop(t, app, h.began)
	if err := testkit.Recv(t, h.done, 10*time.Second, "the commit"); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if c := rep.Component("pg"); c.State != grace.StateStopped || c.Error != "" {
		t.Fatalf("pg: state %q, error %q; want stopped cleanly\n%v", c.State, c.Error, err)
	}
	if st := pool.CloseStats(); st.AcquiredAtStop != 1 || st.Forced != 0 || !st.Closed {
		t.Fatalf("CloseStats = %+v, want 1 acquired at stop, none forced", st)
	}
	if n := rows(t, tbl); n != 1 {
		t.Fatalf("rows = %d, want the committed row", n)
	}
}

func TestTransactionInFlightAtTheHardDeadlineRollsBack(t *testing.T) {
	tbl := table(t)
	pool := newPool(t, "", gracepgx.WithCutMargin(200*time.Millisecond))
	h := newHolder()
	app := testkit.NewApp()
	const limit = 2 * time.Second // CutAt keeps the 200 ms margin whole (a tenth of the limit)
	app.Add("pg", pool, grace.StopTimeout(limit))
	app.Add("worker", h.run(pool, tbl), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, h.began)
	close(h.release)
	if cerr := testkit.Recv(t, h.done, 10*time.Second, "the late commit to return"); cerr == nil {
		t.Fatal("the transaction committed after the hard deadline")
	}

	var inUse *grace.InUseError
	var cut grace.CutError
	if !errors.As(err, &inUse) || !errors.Is(err, grace.ErrInUse) || !errors.Is(err, grace.ErrCut) || inUse.Forced != 1 || inUse.InUse != 1 || inUse.Unit != "connections" ||
		!errors.As(err, &cut) {
		t.Fatalf("Run error = %v, want an InUseError with 1 forced", err)
	}
	c := testkit.StoppedWithin(t, rep, "pg", limit)
	if !strings.Contains(c.Error, "1 connections still in use at the hard deadline") {
		t.Fatalf("pg error in the report = %q", c.Error)
	}
	if n := rows(t, tbl); n != 0 {
		t.Fatalf("rows = %d, want the transaction rolled back", n)
	}
	waitBackendGone(t, h.pid)
}

// waitBackendGone waits until the server has no backend with pid.
func waitBackendGone(t *testing.T, pid uint32) {
	t.Helper()
	c := connect(t)
	testkit.Until(t, 10*time.Second, fmt.Sprintf("backend %d to leave pg_stat_activity", pid), func() bool {
		var n int
		if err := c.QueryRow(context.Background(), "select count(*) from pg_stat_activity where pid = $1", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

func TestSlowQueryIsCancelledAtTheHardDeadline(t *testing.T) {
	pool := newPool(t, "", gracepgx.WithCutMargin(200*time.Millisecond))
	began := make(chan struct{})
	queryErr := make(chan error, 1)
	var pid uint32
	app := testkit.NewApp()
	app.Add("pg", pool, grace.StopTimeout(2*time.Second))
	app.Add("worker", holding(pool, queryErr, func(conn *pgxpool.Conn) error {
		pid = conn.Conn().PgConn().PID()
		close(began)
		// Ignores the stop: only the pool's hard stop ends it.
		_, err := conn.Exec(context.Background(), "select pg_sleep(60)")
		return err
	}), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, began)
	if !errors.Is(err, grace.ErrInUse) {
		t.Fatalf("Run error = %v, want ErrInUse\n%s", err, rep)
	}
	if qerr := testkit.Recv(t, queryErr, 5*time.Second, "the slow query to end after the stop"); qerr == nil {
		t.Fatal("the slow query succeeded")
	}
	// Closing the socket alone would leave the server running pg_sleep for a minute.
	waitBackendGone(t, pid)
}

func TestUnreachableServerAtStopIsBoundedByTheLimit(t *testing.T) {
	px := testkit.StartProxy(t, strings.TrimPrefix(hostPort(t), "tcp://"))
	cfg := poolConfig(t, px.Addr())
	cfg.MinConns = 2 // idle connections to close too
	pool, err := gracepgx.New(context.Background(), cfg, gracepgx.WithCutMargin(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Pool().Close)
	began, go_ := make(chan struct{}), make(chan struct{})
	queryErr := make(chan error, 1)
	app := testkit.NewApp()
	const limit = 2 * time.Second // CutAt keeps the 200 ms margin whole
	app.Add("pg", pool, grace.StopTimeout(limit))
	app.Add("worker", holding(pool, queryErr, func(conn *pgxpool.Conn) error {
		close(began)
		<-go_
		_, err := conn.Exec(context.Background(), "select 1") // the server is unreachable by now
		return err
	}), grace.StopTimeout(50*time.Millisecond))
	go func() {
		<-began
		px.Blackhole()
		close(go_)
	}()
	rep, err := testkit.RunAndStop(t, app, began)
	px.Close() // the partition ends: pgx's own cancel request for the cut query gives up
	testkit.StoppedWithin(t, rep, "pg", limit)
	if !errors.Is(err, grace.ErrInUse) {
		t.Fatalf("Run error = %v, want ErrInUse", err)
	}
	if qerr := testkit.Recv(t, queryErr, 5*time.Second, "the query to the unreachable server to end after the stop"); qerr == nil {
		t.Fatal("a query to an unreachable server succeeded")
	}
}

// hostPort returns the test server's host:port.
func hostPort(t *testing.T) string {
	cfg := poolConfig(t, "")
	return fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port)
}

// A connection attempt in flight to a server that became unreachable does not hold the stop:
// pgxpool's Close abandons it, and the acquire waiting on it fails at once.
func TestConnectionAttemptInFlightAtStopDoesNotHoldTheStop(t *testing.T) {
	px := testkit.StartProxy(t, hostPort(t))
	pool, err := gracepgx.New(context.Background(), poolConfig(t, px.Addr()), gracepgx.WithCutMargin(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Pool().Close)
	began := make(chan struct{})
	acquired := make(chan error, 1)
	app := testkit.NewApp()
	const limit = 2 * time.Second // CutAt keeps the 200 ms margin whole
	app.Add("pg", pool, grace.StopTimeout(limit))
	app.Add("worker", grace.RunFunc(func(context.Context) error {
		pool.Pool().Reset() // no idle connection left: the next acquire dials
		px.Blackhole()
		close(began)
		c, err := pool.Pool().Acquire(context.Background()) // the dial hangs: unreachable
		if err == nil {
			c.Release()
		}
		acquired <- err
		return nil
	}), grace.StopTimeout(50*time.Millisecond))
	rep, _ := testkit.RunAndStop(t, app, began)
	if c := testkit.StoppedWithin(t, rep, "pg", limit); c.Error != "" {
		t.Fatalf("pg: error %q; want stopped cleanly", c.Error)
	}
	if !pool.CloseStats().Closed {
		t.Fatal("the pool has not closed")
	}
	if aerr := testkit.Recv(t, acquired, 5*time.Second, "the acquire to end after the pool closed"); aerr == nil {
		t.Fatal("acquired a connection from an unreachable server")
	}
}

// TestContracts: a Pool is the grace interfaces its doc comment names.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracepgx.Pool{}, (*grace.Validator)(nil), (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil))
}
