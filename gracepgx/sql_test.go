package gracepgx_test

// gracesql is in the root module, which cannot import a driver: these are its tests against a
// real PostgreSQL, through pgx's database/sql driver.

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesql"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/jackc/pgx/v5/stdlib"
)

func openSQL(t *testing.T, addr string) *sql.DB {
	t.Helper()
	db := stdlib.OpenDB(*poolConfig(t, addr).ConnConfig)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSQLStartFailsWhenTheServerIsUnreachable(t *testing.T) {
	app := testkit.NewApp()
	app.Add("db", gracesql.New(openSQL(t, testkit.ClosedAddr(t))))
	rep, err := app.Run(context.Background())
	if err == nil || rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("Run = %v (exit %d), want a failed start", err, rep.ExitCode)
	}
	if c := rep.Component("db"); !strings.Contains(c.Error, "start db: ping database: failed to connect") ||
		!strings.Contains(c.Error, "connection refused") {
		t.Fatalf("db error = %q", c.Error)
	}
}

func TestSQLClosesAfterItsDependentsCommitted(t *testing.T) {
	tbl := table(t)
	db := openSQL(t, "")
	app := testkit.NewApp()
	app.Add("db", gracesql.New(db))
	testkit.RunWithDependent(t, app, func(ctx context.Context) error {
		_, err := db.ExecContext(ctx, "insert into "+tbl+" values (1)")
		return err
	})
	if n := rows(t, tbl); n != 1 {
		t.Fatalf("rows = %d, want the dependent's row", n)
	}
	if err := db.Ping(); err == nil {
		t.Fatal("the pool is still open after the stop")
	}
}

// A dependent abandoned while its transaction waits on an unreachable server: the pool's stop
// still ends within its limit and names the connection in use.
func TestSQLUnreachableServerAtStopIsBoundedAndReportsInUse(t *testing.T) {
	px := testkit.StartProxy(t, hostPort(t))
	db := openSQL(t, px.Addr())
	db.SetMaxIdleConns(2)
	began := make(chan struct{})
	execErr := make(chan error, 1)
	app := testkit.NewApp()
	const limit = time.Second
	app.Add("db", gracesql.New(db), grace.StopTimeout(limit))
	app.Add("worker", grace.RunFunc(func(context.Context) error {
		bg := context.Background()
		tx, err := db.BeginTx(bg, nil)
		if err != nil {
			execErr <- err
			return err
		}
		defer func() { _ = tx.Rollback() }()
		px.Blackhole()
		close(began)
		_, err = tx.ExecContext(bg, "select 1") // hangs: the server is unreachable
		execErr <- err
		return nil
	}), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, began)
	var inUse *grace.InUseError
	if !errors.As(err, &inUse) || inUse.InUse != 1 {
		t.Fatalf("Run error = %v, want an InUseError with 1 in use\n%s", err, rep)
	}
	c := testkit.StoppedWithin(t, rep, "db", limit)
	if !strings.Contains(c.Error, "1 connections still in use at the stop: left open until released") {
		t.Fatalf("db error in the report = %q", c.Error)
	}
	px.Close() // the partition ends with the connections reset: the worker's call returns
	testkit.Recv(t, execErr, 10*time.Second, "the worker's query to end once the proxy closed")
}

// heldTx is an app of gracesql's DB and a worker that inserts a row in a transaction, signals
// began, and ignores its stop — abandoned with the transaction open — until release is closed;
// then it ends the transaction with end and sends end's result on done.
type heldTx struct {
	app            *grace.App
	comp           *gracesql.DB
	began, release chan struct{}
	done           chan error
}

func newHeldTx(db *sql.DB, tbl string, end func(*sql.Tx) error) *heldTx {
	h := &heldTx{app: testkit.NewApp(), comp: gracesql.New(db),
		began: make(chan struct{}), release: make(chan struct{}), done: make(chan error, 1)}
	h.app.Add("db", h.comp)
	h.app.Add("worker", grace.RunFunc(func(context.Context) error {
		bg := context.Background()
		tx, err := db.BeginTx(bg, nil)
		if err == nil {
			_, err = tx.ExecContext(bg, "insert into "+tbl+" values (1)")
		}
		if err != nil {
			h.done <- err
			return err
		}
		close(h.began)
		<-h.release
		h.done <- end(tx)
		return nil
	}), grace.StopTimeout(50*time.Millisecond))
	return h
}

// database/sql's Close does not interrupt a connection in use, as gracesql's documentation says:
// a transaction held past the pool's stop still commits, and the stop names its connection.
func TestSQLTransactionHeldPastTheCloseStillCommits(t *testing.T) {
	tbl := table(t)
	db := openSQL(t, "")
	h := newHeldTx(db, tbl, (*sql.Tx).Commit)
	_, err := testkit.RunAndStop(t, h.app, h.began)
	if !errors.Is(err, grace.ErrInUse) {
		t.Fatalf("Run error = %v, want ErrInUse", err)
	}
	close(h.release)
	if cerr := testkit.Recv(t, h.done, 10*time.Second, "the commit"); cerr != nil {
		t.Fatalf("commit after the pool closed: %v", cerr)
	}
	if n := rows(t, tbl); n != 1 {
		t.Fatalf("rows = %d, want the committed row", n)
	}
	if st, _ := h.comp.StatsAtClose(); st.InUse != 1 {
		t.Fatalf("StatsAtClose().InUse = %d, want 1", st.InUse)
	}
	if s := db.Stats(); s.OpenConnections != 0 {
		t.Fatalf("open connections after the release = %d, want 0", s.OpenConnections)
	}
}

// gracesql's loss accounting, from DB.Account's doc: a connection still in use when the app
// builds its report is lost (the process exit would cut it): the report says 1 connections
// lost and the exit code is ExitLost. Released afterwards, it is no longer counted.
func TestSQLConnectionInUseAtTheReportIsLost(t *testing.T) {
	h := newHeldTx(openSQL(t, ""), table(t), (*sql.Tx).Rollback)
	rep, err := testkit.RunAndStop(t, h.app, h.began)
	if c := rep.Component("db"); c.Account != (grace.Account{Unit: "connections", Lost: 1}) {
		t.Errorf("db account %+v, want 1 connections lost\n%s", c.Account, rep)
	}
	if rep.Lost != 1 || rep.ExitCode != grace.ExitLost || !errors.Is(err, grace.ErrLost) {
		t.Errorf("lost %d, exit %d, err %v; want 1, %d, ErrLost\n%s", rep.Lost, rep.ExitCode, err, grace.ExitLost, rep)
	}
	close(h.release)
	if rerr := testkit.Recv(t, h.done, 10*time.Second, "the rollback"); rerr != nil {
		t.Fatal(rerr)
	}
	if a := h.comp.Account(); a.Lost != 0 {
		t.Errorf("after the release: Account = %+v, want nothing in use", a)
	}
}

// Every statement done before the pool's turn: nothing lost, exit clean.
func TestSQLNothingInUseLosesNothing(t *testing.T) {
	db := openSQL(t, "")
	app := testkit.NewApp()
	comp := gracesql.New(db)
	app.Add("db", comp)
	app.Add("writer", grace.Hook{OnStop: func(ctx context.Context) error {
		_, err := db.ExecContext(ctx, "select 1")
		return err
	}})
	rep, err := testkit.RunAndStop(t, app)
	if err != nil || rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Fatalf("Run = %v, lost %d, exit %d; want clean\n%s", err, rep.Lost, rep.ExitCode, rep)
	}
	if a := comp.Account(); a != (grace.Account{Unit: "connections"}) {
		t.Errorf("Account = %+v", a)
	}
}
