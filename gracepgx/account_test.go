package gracepgx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

// A worker holding a transaction ignores its stop and is abandoned; at the pool's hard deadline
// the transaction is cut and rolled back. The report says 1 connections lost, the exit code is
// ExitLost, Run's error matches ErrLost, and the row is not there.
func TestTransactionCutIsCountedLost(t *testing.T) {
	tbl := table(t)
	pool := newPool(t, "")
	h := newHolder()
	app := testkit.NewApp()
	app.Add("pg", pool, grace.StopTimeout(time.Second))
	app.Add("worker", h.run(pool, tbl), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, h.began)
	close(h.release)
	if cerr := testkit.Recv(t, h.done, 10*time.Second, "the late commit"); cerr == nil {
		t.Fatal("the transaction committed after the hard deadline")
	}
	c := rep.Component("pg")
	if c.Account != (grace.Account{Unit: "connections", Lost: 1}) {
		t.Fatalf("pg account %+v, want 1 connections lost\n%s", c.Account, rep)
	}
	if rep.Lost != 1 || rep.ExitCode != grace.ExitLost || !strings.Contains(rep.String(), "1 connections lost") {
		t.Errorf("lost %d, exit %d; want 1, %d\n%s", rep.Lost, rep.ExitCode, grace.ExitLost, rep)
	}
	if !errors.Is(err, grace.ErrLost) {
		t.Errorf("Run error %v does not match ErrLost", err)
	}
	if n := rows(t, tbl); n != 0 {
		t.Fatalf("rows = %d, want the transaction rolled back", n)
	}
	if a := pool.Account(); a.Lost != 1 {
		t.Errorf("Account after the holder released = %+v, want still 1 lost", a)
	}
	waitBackendGone(t, h.pid)
}

// The pool added with a stop limit of 4 s and the default cut margin (500 ms): a transaction that
// commits 3.3 s into the pool's stop is not cut — the margin is clamped to a tenth of the limit
// (cut at 3.6 s). With a quarter (cut at 3 s) it was rolled back. Nothing is lost, exit clean.
func TestTransactionShorterThanTheLimitCommits(t *testing.T) {
	tbl := table(t)
	pool := newPool(t, "")
	h := newHolder()
	app := testkit.NewApp(grace.WithObserver(func(e grace.Event) {
		if e.Kind == grace.EventStopping && e.Component == "pg" {
			time.AfterFunc(3300*time.Millisecond, func() { close(h.release) })
		}
	}))
	app.Add("pg", pool, grace.StopTimeout(4*time.Second))
	app.Add("worker", h.run(pool, tbl), grace.StopTimeout(50*time.Millisecond))
	rep, _ := testkit.RunAndStop(t, app, h.began)
	if err := testkit.Recv(t, h.done, 10*time.Second, "the commit"); err != nil {
		t.Fatalf("commit 3.3 s into a 4 s stop: %v\n%s", err, rep)
	}
	if c := rep.Component("pg"); c.Error != "" || c.Lost != 0 {
		t.Errorf("pg: error %q, lost %d; want a clean stop", c.Error, c.Lost)
	}
	// The worker was abandoned, which is a failed stop, but nothing was lost.
	if rep.Lost != 0 || rep.ExitCode != grace.ExitStopFailed {
		t.Errorf("lost %d, exit %d; want 0 lost, exit %d (the abandoned worker)\n%s", rep.Lost, rep.ExitCode, grace.ExitStopFailed, rep)
	}
	if n := rows(t, tbl); n != 1 {
		t.Fatalf("rows = %d, want the committed row", n)
	}
}

// Every transaction finishes before the stop: nothing lost, exit clean.
func TestNothingInUseLosesNothing(t *testing.T) {
	tbl := table(t)
	pool := newPool(t, "")
	app := testkit.NewApp()
	app.Add("pg", pool, grace.StopTimeout(time.Second))
	app.Add("writer", grace.Hook{OnStop: func(ctx context.Context) error {
		tx, err := pool.Pool().Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "insert into "+tbl+" values (1)"); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}})
	rep, err := testkit.RunAndStop(t, app)
	if err != nil || rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Fatalf("Run = %v, lost %d, exit %d; want clean\n%s", err, rep.Lost, rep.ExitCode, rep)
	}
	if a := pool.Account(); a != (grace.Account{Unit: "connections"}) {
		t.Errorf("Account = %+v, want zero connections", a)
	}
	if n := rows(t, tbl); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}

// While the stop still waits for an acquired connection, Account counts it as in hand (the app
// may have abandoned the stop); once released in time, nothing is lost.
func TestAccountDuringTheStop(t *testing.T) {
	pool := newPool(t, "")
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a := pool.Account(); a.Lost != 0 {
		t.Fatalf("before Stop: %+v", a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- pool.Stop(ctx) }()
	testkit.Until(t, 5*time.Second, "the stop to begin", func() bool { return pool.Account().Lost == 1 })
	conn.Release()
	if err := testkit.Recv(t, stopped, 5*time.Second, "the stop"); err != nil {
		t.Fatal(err)
	}
	if a := pool.Account(); a.Lost != 0 {
		t.Errorf("released before the hard deadline: Account = %+v, want nothing lost", a)
	}
	var inUse *grace.InUseError
	if errors.As(err, &inUse) {
		t.Errorf("InUseError %v for a released connection", inUse)
	}
}
