package graceredis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceredis"
	"github.com/gracekit/grace/internal/testkit"
	"github.com/redis/go-redis/v9"
)

func key(t *testing.T) string {
	return fmt.Sprintf("graceredis:%s:%d", t.Name(), time.Now().UnixNano())
}

func TestStartFailsWhenTheServerIsUnreachable(t *testing.T) {
	app := testkit.NewApp()
	app.Add("redis", graceredis.New(newRedis(t, testkit.ClosedAddr(t))))
	app.Add("user", grace.Hook{})
	rep, err := app.Run(context.Background())
	if err == nil || rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("Run = %v (exit %d), want a failed start", err, rep.ExitCode)
	}
	if c := rep.Component("redis"); c.State != grace.StateFailed ||
		!strings.Contains(c.Error, "start redis: ping redis: dial tcp") || !strings.Contains(c.Error, "connection refused") {
		t.Fatalf("redis: state %q, error %q", c.State, c.Error)
	}
}

// A bad option is a configuration error, named, and nothing starts; Start refuses it too.
func TestBadOptionsAreAConfigurationError(t *testing.T) {
	comp := graceredis.New(newRedis(t, addr(t)), graceredis.WithCutMargin(0))
	app := testkit.NewApp()
	started := false
	app.Add("first", grace.Hook{OnStart: func(context.Context) error { started = true; return nil }})
	app.Add("redis", comp)
	rep, err := app.Run(context.Background())
	if !errors.Is(err, grace.ErrInvalid) || rep.ExitCode != grace.ExitStartFailed ||
		!strings.Contains(err.Error(), `component "redis": cut margin must be positive, got 0s`) {
		t.Fatalf("Run = %v (exit %d), want a configuration error naming the bad margin", err, rep.ExitCode)
	}
	if started {
		t.Error("a component started despite the bad configuration")
	}
	if err := comp.Start(context.Background()); err == nil || err.Error() != comp.Validate().Error() {
		t.Errorf("Start = %v, want Validate's error", err)
	}
	if err := graceredis.New(nil).Validate(); err == nil || !strings.Contains(err.Error(), "nil client") {
		t.Errorf("Validate with a nil client = %v", err)
	}
}

func TestClosesAfterItsDependents(t *testing.T) {
	rc := newRedis(t, addr(t))
	k := key(t)
	app := testkit.NewApp()
	comp := graceredis.New(rc)
	app.Add("redis", comp)
	rep := testkit.RunWithDependent(t, app, func(ctx context.Context) error {
		return rc.Set(ctx, k, "last words", time.Minute).Err()
	})
	if err := rc.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Fatalf("ping after the stop = %v, want the client closed", err)
	}
	if v := newRedis(t, addr(t)).Get(context.Background(), k).Val(); v != "last words" {
		t.Fatalf("value written by the dependent at its stop = %q", v)
	}
	if st := comp.CloseStats(); !st.Closed || st.InUseAtStop != 0 || st.InUseAtClose != 0 {
		t.Fatalf("CloseStats = %+v", st)
	}
	if rep.Lost != 0 || rep.ExitCode != grace.ExitClean || comp.Account() != (grace.Account{Unit: "connections"}) {
		t.Fatalf("lost %d, exit %d, account %+v; want nothing lost\n%s", rep.Lost, rep.ExitCode, comp.Account(), rep)
	}
}

// popper is a component that waits in BLPOP and ignores its stop, so it is abandoned at its
// limit while its connection is still in use.
func popper(rc *redis.Client, k string, began chan<- struct{}, got chan<- error) grace.RunFunc {
	return func(context.Context) error {
		close(began)
		err := rc.BLPop(context.Background(), 0, k).Err()
		got <- err
		return nil
	}
}

// inUse returns a channel closed once the client has n connections in use (polled for 5s).
func inUse(rc *redis.Client, n uint32) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if s := rc.PoolStats(); s.TotalConns-s.IdleConns == n {
				close(ch)
				return
			}
		}
	}()
	return ch
}

func TestCommandFinishingBeforeTheDeadlineIsNotCut(t *testing.T) {
	rc := newRedis(t, addr(t))
	k := key(t)
	began, got := make(chan struct{}), make(chan error, 1)
	app := testkit.NewApp()
	comp := graceredis.New(rc)
	app.Add("redis", comp, grace.StopTimeout(10*time.Second))
	app.Add("popper", popper(rc, k, began, got), grace.StopTimeout(50*time.Millisecond))
	go func() {
		// The popper is abandoned at 50 ms; its BLPOP gets its value a little later.
		<-app.Await(grace.PhaseStopping)
		time.Sleep(300 * time.Millisecond)
		_ = newRedis(t, addr(t)).RPush(context.Background(), k, "v").Err()
	}()
	rep, _ := testkit.RunAndStop(t, app, began, inUse(rc, 1))
	if perr := testkit.Recv(t, got, 10*time.Second, "the BLPOP's value"); perr != nil {
		t.Fatalf("BLPOP: %v", perr)
	}
	if c := rep.Component("redis"); c.State != grace.StateStopped || c.Error != "" {
		t.Fatalf("redis: state %q, error %q; want stopped cleanly", c.State, c.Error)
	}
	if st := comp.CloseStats(); st.InUseAtStop != 1 || st.InUseAtClose != 0 || !st.Closed {
		t.Fatalf("CloseStats = %+v, want 1 in use at stop, none at close", st)
	}
}

func TestCommandInFlightAtTheHardDeadlineIsCut(t *testing.T) {
	rc := newRedis(t, addr(t))
	began, got := make(chan struct{}), make(chan error, 1)
	app := testkit.NewApp()
	const limit = 2 * time.Second // CutAt keeps the 200 ms margin whole (a tenth of the limit)
	app.Add("redis", graceredis.New(rc, graceredis.WithCutMargin(200*time.Millisecond)), grace.StopTimeout(limit))
	app.Add("popper", popper(rc, key(t), began, got), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, began, inUse(rc, 1))
	var iu *grace.InUseError
	var cut grace.CutError
	if !errors.As(err, &iu) || iu.Forced != 1 || iu.InUse != 1 || iu.Unit != "connections" || !errors.Is(err, grace.ErrCut) || !errors.As(err, &cut) {
		t.Fatalf("Run error = %v, want an InUseError with 1 in use", err)
	}
	if c := testkit.StoppedWithin(t, rep, "redis", limit); c.Stop < limit/2 {
		t.Fatalf("redis stopped after %v, want at the hard deadline, past half its limit %v", c.Stop, limit)
	}
	if perr := testkit.Recv(t, got, 5*time.Second, "the BLPOP to end once the client closed"); perr == nil {
		t.Fatal("the cut BLPOP succeeded")
	}
}

func TestUnreachableServerAtStopIsBoundedByTheLimit(t *testing.T) {
	px := testkit.StartProxy(t, addr(t))
	rc := newRedis(t, px.Addr())
	began, got := make(chan struct{}), make(chan error, 1)
	app := testkit.NewApp()
	const limit = 2 * time.Second // CutAt keeps the 200 ms margin whole
	app.Add("redis", graceredis.New(rc, graceredis.WithCutMargin(200*time.Millisecond)), grace.StopTimeout(limit))
	app.Add("reader", grace.RunFunc(func(context.Context) error {
		if err := rc.Ping(context.Background()).Err(); err != nil {
			got <- err
			return err
		}
		px.Blackhole()
		close(began)
		got <- rc.Get(context.Background(), "k").Err() // hangs: the server is unreachable
		return nil
	}), grace.StopTimeout(50*time.Millisecond))
	rep, err := testkit.RunAndStop(t, app, began)
	testkit.StoppedWithin(t, rep, "redis", limit)
	if !errors.Is(err, grace.ErrInUse) {
		t.Fatalf("Run error = %v, want ErrInUse", err)
	}
	if gerr := testkit.Recv(t, got, 5*time.Second, "the command to the unreachable server to end after the stop"); gerr == nil {
		t.Fatal("a command to an unreachable server succeeded")
	}
}

// TestContracts: a Client is the grace interfaces its doc comment names.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &graceredis.Client{}, (*grace.Validator)(nil), (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Accounter)(nil))
}
