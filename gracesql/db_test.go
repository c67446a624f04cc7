package gracesql_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracesql"
	"github.com/gracekit/grace/internal/leakcheck"
	"github.com/gracekit/grace/internal/testkit"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestStartFailsWhenThePingFails(t *testing.T) {
	refused := errors.New("connection refused")
	db := sql.OpenDB(&testConnector{pingErr: refused})
	app := testkit.NewApp()
	app.Add("db", gracesql.New(db))
	app.Add("user", grace.Hook{})
	rep, err := app.Run(context.Background())
	if !errors.Is(err, refused) {
		t.Fatalf("Run error = %v, want the ping's error", err)
	}
	c := rep.Component("db")
	if c.State != grace.StateFailed || !strings.Contains(c.Error, "ping database: connection refused") {
		t.Fatalf("db: state %q error %q, want failed with the ping's error", c.State, c.Error)
	}
	if err := db.Ping(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("ping after the failed start = %v, want the pool closed", err)
	}
	if u := rep.Component("user"); u.State != grace.StateNotStarted {
		t.Fatalf("user state = %q, want %q", u.State, grace.StateNotStarted)
	}
	if rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("exit code = %d, want %d", rep.ExitCode, grace.ExitStartFailed)
	}
}

func TestClosesAfterItsDependents(t *testing.T) {
	db := sql.OpenDB(&testConnector{})
	app := testkit.NewApp()
	app.Add("db", gracesql.New(db))
	testkit.RunWithDependent(t, app, db.PingContext)
	if err := db.Ping(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("ping after the stop = %v, want the pool closed", err)
	}
}

func TestReportsConnectionsInUseAtClose(t *testing.T) {
	tc := &testConnector{}
	db := sql.OpenDB(tc)
	var held *sql.Conn
	app := testkit.NewApp()
	comp := gracesql.New(db)
	app.Add("db", comp)
	app.Add("leaky", grace.Hook{OnStart: func(ctx context.Context) error {
		var err error
		held, err = db.Conn(ctx) // never released before the stop: a leak
		return err
	}})
	rep, err := testkit.RunAndStop(t, app)
	var inUse *grace.InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, grace.ErrInUse) || errors.Is(err, grace.ErrCut) {
		t.Fatalf("Run error = %v, want an InUseError", err)
	}
	if inUse.InUse != 1 || inUse.Forced != 0 || inUse.Unit != "connections" {
		t.Fatalf("InUse = %d, want 1", inUse.InUse)
	}
	if c := rep.Component("db"); !strings.Contains(c.Error, "1 connections still in use at the stop: left open until released") {
		t.Fatalf("db error in the report = %q", c.Error)
	}
	if st, ok := comp.StatsAtClose(); !ok || st.InUse != 1 {
		t.Fatalf("StatsAtClose = %+v, %v; want InUse 1", st, ok)
	}
	if got := tc.open.Load(); got != 1 {
		t.Fatalf("open connections after close = %d, want the one in use", got)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	if got := tc.open.Load(); got != 0 {
		t.Fatalf("open connections after release = %d, want 0", got)
	}
}

func TestHangingCloseIsBoundedByTheLimit(t *testing.T) {
	tc := &testConnector{hold: make(chan struct{})}
	defer close(tc.hold)
	db := sql.OpenDB(tc)
	const limit = 300 * time.Millisecond
	app := testkit.NewApp()
	app.Add("db", gracesql.New(db), grace.StopTimeout(limit))
	rep, err := testkit.RunAndStop(t, app)
	if !errors.Is(err, grace.ErrTimeout) {
		t.Fatalf("Run error = %v, want a timeout", err)
	}
	c := rep.Component("db")
	if c.Stop < limit || c.Stop > limit+time.Second {
		t.Fatalf("db stop took %v, want about its limit %v", c.Stop, limit)
	}
	if rep.ExitCode != grace.ExitStopFailed {
		t.Fatalf("exit code = %d, want %d", rep.ExitCode, grace.ExitStopFailed)
	}
}

func TestStopOnItsOwn(t *testing.T) {
	db := gracesql.New(sql.OpenDB(&testConnector{}))
	if err := db.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.StatsAtClose(); ok {
		t.Fatal("StatsAtClose before Stop reports a close")
	}
	if err := db.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := gracesql.New(nil).Start(context.Background()); !errors.Is(err, grace.ErrInvalid) || !strings.Contains(err.Error(), "nil *sql.DB") {
		t.Fatalf("Start with a nil pool = %v", err)
	}
	app := testkit.NewApp()
	app.Add("db", gracesql.New(nil))
	if _, err := app.Run(context.Background()); !errors.Is(err, grace.ErrInvalid) || !strings.Contains(err.Error(), `component "db": nil *sql.DB`) {
		t.Fatalf("Run with a nil pool = %v, want a config error naming it", err)
	}
}

// TestContracts: a DB is the grace interfaces its doc comment names.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracesql.DB{}, (*grace.Validator)(nil), (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil))
}
