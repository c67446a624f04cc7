package graceredis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceredis"
	"github.com/gracekit/grace/internal/testkit"
)

// A worker waiting in BLPOP ignores its stop and is abandoned; at the client's hard deadline its
// command is cut. The report says 1 connections lost, the exit code is ExitLost, and Run's error
// matches ErrLost.
func TestCommandCutIsCountedLost(t *testing.T) {
	rc := newRedis(t, addr(t))
	began, got := make(chan struct{}), make(chan error, 1)
	app := testkit.NewApp()
	comp := graceredis.New(rc)
	app.Add("redis", comp, grace.StopTimeout(time.Second))
	app.Add("popper", popper(rc, key(t), began, got), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, began, inUse(rc, 1))
	if perr := testkit.Recv(t, got, 5*time.Second, "the BLPOP to end"); perr == nil {
		t.Fatal("the cut BLPOP succeeded")
	}
	if c := rep.Component("redis"); c.Account != (grace.Account{Unit: "connections", Lost: 1}) {
		t.Fatalf("redis account %+v, want 1 connections lost\n%s", c.Account, rep)
	}
	if rep.Lost != 1 || rep.ExitCode != grace.ExitLost || !strings.Contains(rep.String(), "1 connections lost") {
		t.Errorf("lost %d, exit %d; want 1, %d\n%s", rep.Lost, rep.ExitCode, grace.ExitLost, rep)
	}
	if !errors.Is(err, grace.ErrLost) {
		t.Errorf("Run error %v does not match ErrLost", err)
	}
	if a := comp.Account(); a.Lost != 1 {
		t.Errorf("Account after the report = %+v, want still 1", a)
	}
}

// The client added with a stop limit of 4 s and the default force margin (1 s): a BLPOP answered
// 3.3 s into the client's stop is not cut — the margin is clamped to a tenth of the limit (cut
// at 3.6 s). With a quarter (cut at 3 s) it was cut. Nothing is lost.
func TestCommandShorterThanTheLimitFinishes(t *testing.T) {
	rc := newRedis(t, addr(t))
	k := key(t)
	began, got := make(chan struct{}), make(chan error, 1)
	pusher := newRedis(t, addr(t))
	pushed := make(chan error, 1)
	app := testkit.NewApp(grace.WithObserver(func(e grace.Event) {
		if e.Kind == grace.EventStopping && e.Component == "redis" {
			time.AfterFunc(3300*time.Millisecond, func() { pushed <- pusher.RPush(context.Background(), k, "v").Err() })
		}
	}))
	comp := graceredis.New(rc)
	app.Add("redis", comp, grace.StopTimeout(4*time.Second))
	app.Add("popper", popper(rc, k, began, got), grace.StopTimeout(50*time.Millisecond))
	rep, _ := testkit.RunAndStop(t, app, began, inUse(rc, 1))
	if err := testkit.Recv(t, pushed, 10*time.Second, "the push"); err != nil {
		t.Fatal(err)
	}
	if perr := testkit.Recv(t, got, 10*time.Second, "the BLPOP's value"); perr != nil {
		t.Fatalf("BLPOP answered 3.3 s into a 4 s stop: %v\n%s", perr, rep)
	}
	if c := rep.Component("redis"); c.Error != "" || c.Lost != 0 {
		t.Errorf("redis: error %q, lost %d; want a clean stop", c.Error, c.Lost)
	}
	// The popper was abandoned, which is a failed stop, but nothing was lost.
	if rep.Lost != 0 || rep.ExitCode != grace.ExitStopFailed {
		t.Errorf("lost %d, exit %d; want 0 lost, exit %d\n%s", rep.Lost, rep.ExitCode, grace.ExitStopFailed, rep)
	}
}
