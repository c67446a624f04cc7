package gracefx_test

import (
	"context"

	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"github.com/gracekit/grace/gracetest"
	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/fx"
)

// journal records which hooks ran, in order, a line each.
type journal = testkit.Buffer

// Constructors as an fx user writes them: each takes the fx.Lifecycle and appends a hook.
type (
	DB    struct{}
	Cache struct{}
	Queue struct{}
	Hung  struct{}
)

// release lets a hung hook end when the test is over, so the leak check stays clean.
type release chan struct{}

func NewDB(lc fx.Lifecycle, j *journal) *DB {
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { j.Line("start db"); return nil },
		OnStop:  func(context.Context) error { j.Line("stop db"); return nil },
	})
	return &DB{}
}

func NewCache(lc fx.Lifecycle, j *journal, _ *DB) *Cache {
	lc.Append(fx.StartStopHook(func() { j.Line("start cache") }, func() { j.Line("stop cache") }))
	return &Cache{}
}

func NewHung(lc fx.Lifecycle, j *journal, r release, _ *Cache) *Hung {
	lc.Append(fx.Hook{OnStop: func(context.Context) error {
		j.Line("stop hung")
		<-r // ignores its ctx: hangs until the test ends
		return nil
	}})
	return &Hung{}
}

func NewQueue(lc fx.Lifecycle, j *journal, _ *Hung) *Queue {
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { j.Line("start queue"); return nil },
		OnStop:  func(context.Context) error { j.Line("stop queue"); return nil },
	})
	return &Queue{}
}

func newRelease(t *testing.T) release {
	r := make(release)
	t.Cleanup(func() { close(r) })
	return r
}

// TestHungOnStopDoesNotSkipOthers: an fx app with one OnStop that hangs. Under fx alone the hooks
// after it are skipped; under gracefx every other hook still stops, the hung one is abandoned at
// its limit and named in the report, and the run ends within the budget.
func TestHungOnStopDoesNotSkipOthers(t *testing.T) {
	j := &journal{}
	sigs := &gracetest.Signals{}
	app := grace.New(grace.WithSignalSource(sigs), grace.WithLogger(testkit.QuietLogger()), grace.WithBudget(5*time.Second))
	fxApp := fx.New(fx.NopLogger,
		gracefx.Module(app, gracefx.WithStopTimeout(500*time.Millisecond)),
		fx.Supply(j, newRelease(t)),
		fx.Provide(NewDB, NewCache, NewHung, NewQueue),
		fx.Invoke(func(*Queue) {}),
	)
	if err := fxApp.Err(); err != nil {
		t.Fatal(err)
	}
	r := testkit.Run(t, app)
	testkit.Await(t, app.Await(grace.PhaseReady), 10*time.Second, "the app to be ready")
	begin := time.Now()
	sigs.Send(sigTERM)
	res := r.Wait(t)
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("the stop took %v, more than the budget", took)
	}
	want := []string{"start db", "start cache", "start queue", "stop queue", "stop hung", "stop cache", "stop db"}
	if got := j.Lines(); !slices.Equal(got, want) {
		t.Errorf("hooks ran %q, want %q", got, want)
	}
	hung := res.Report.Component("gracefx_test.NewHung")
	if hung == nil || hung.State != grace.StateAbandoned {
		t.Fatalf("the hung hook is not named abandoned in the report:\n%s", res.Report)
	}
	for _, name := range []string{"gracefx_test.NewDB", "gracefx_test.NewCache", "gracefx_test.NewQueue"} {
		if c := res.Report.Component(name); c == nil || c.State != grace.StateStopped {
			t.Errorf("%s not stopped:\n%s", name, res.Report)
		}
	}
	if res.Report.ExitCode != grace.ExitStopFailed {
		t.Errorf("exit %d, want %d (a stop timed out)", res.Report.ExitCode, grace.ExitStopFailed)
	}
}

// TestStartTimeoutStillStops is fx #1035 under gracefx: a start that times out in one hook still
// runs the OnStop of every hook that started, in reverse order.
func TestStartTimeoutStillStops(t *testing.T) {
	j := &journal{}
	app := testkit.NewApp(grace.WithLogger(testkit.QuietLogger()))
	fxApp := fx.New(fx.NopLogger,
		gracefx.Module(app, gracefx.WithStartTimeout(300*time.Millisecond)),
		fx.Supply(j),
		fx.Provide(NewDB, NewCache),
		fx.Invoke(func(lc fx.Lifecycle, _ *Cache) {
			lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
				j.Line("start slow")
				<-ctx.Done() // longer than its start limit
				return ctx.Err()
			}, OnStop: func(context.Context) error { j.Line("stop slow"); return nil }})
		}),
	)
	if err := fxApp.Err(); err != nil {
		t.Fatal(err)
	}
	rep, err := app.Run(context.Background())
	if err == nil || rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("exit %d, error %v; want a failed start", rep.ExitCode, err)
	}
	want := []string{"start db", "start cache", "start slow", "stop cache", "stop db"}
	if got := j.Lines(); !slices.Equal(got, want) {
		t.Errorf("hooks ran %q, want %q", got, want)
	}
	if !strings.Contains(err.Error(), "gracefx_test.TestStartTimeoutStillStops") {
		t.Errorf("error %q does not name the hook that timed out", err)
	}
}

// TestDrainDelayHoldsReadinessWhileServing: an HTTP server started and stopped by fx hooks, its
// /readyz answered from the grace App that Module supplies: after SIGTERM, /readyz turns 503
// while requests are still served, and the server stops only after the drain delay.
func TestDrainDelayHoldsReadinessWhileServing(t *testing.T) {
	const delay = time.Second
	sigs := &gracetest.Signals{}
	app := grace.New(grace.WithSignalSource(sigs), grace.WithLogger(testkit.QuietLogger()), grace.WithDrainDelay(delay), grace.WithBudget(5*time.Second))
	addrs := make(chan string, 1)
	var stoppedAt time.Time
	newServer := func(lc fx.Lifecycle, g *grace.App) *http.Server {
		mux := http.NewServeMux()
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
			if !g.Ready() {
				http.Error(w, "draining", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "ready\n")
		})
		mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
		srv := &http.Server{Handler: mux}
		var served sync.WaitGroup
		lc.Append(fx.Hook{
			OnStart: func(ctx context.Context) error {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				addrs <- ln.Addr().String()
				served.Go(func() { srv.Serve(ln) })
				return nil
			},
			OnStop: func(ctx context.Context) error {
				stoppedAt = time.Now()
				err := srv.Shutdown(ctx)
				served.Wait()
				return err
			},
		})
		return srv
	}
	fxApp := fx.New(fx.NopLogger, gracefx.Module(app), fx.Provide(newServer), fx.Invoke(func(*http.Server) {}))
	if err := fxApp.Err(); err != nil {
		t.Fatal(err)
	}
	r := testkit.Run(t, app)
	testkit.Await(t, app.Await(grace.PhaseReady), 10*time.Second, "the app to be ready")
	addr := testkit.Recv(t, addrs, time.Second, "the server's address")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	get := func(path string) int {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d before the signal", code)
	}
	signalled := time.Now()
	sigs.Send(sigTERM)
	testkit.Await(t, app.Await(grace.PhaseDraining), 5*time.Second, "the drain")
	if code := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d while draining, want 503", code)
	}
	if code := get("/work"); code != http.StatusOK {
		t.Errorf("/work %d while draining, want 200: still serving", code)
	}
	res := r.Wait(t)
	if res.Report.ExitCode != grace.ExitClean {
		t.Fatalf("exit %d:\n%s", res.Report.ExitCode, res.Report)
	}
	if held := stoppedAt.Sub(signalled); held < delay {
		t.Errorf("the server's OnStop ran %v after the signal, before the drain delay (%v) was over", held, delay)
	}
}

// TestShutdowner: a constructor's fx.Shutdowner stops the grace App.
func TestShutdowner(t *testing.T) {
	app := testkit.NewApp(grace.WithLogger(testkit.QuietLogger()))
	var sd fx.Shutdowner
	fxApp := fx.New(fx.NopLogger, gracefx.Module(app), fx.Populate(&sd))
	if err := fxApp.Err(); err != nil {
		t.Fatal(err)
	}
	r := testkit.Run(t, app)
	testkit.Await(t, app.Await(grace.PhaseReady), 10*time.Second, "the app to be ready")
	if err := sd.Shutdown(); err != nil {
		t.Fatal(err)
	}
	res := r.Wait(t)
	if res.Report.Trigger.Reason != "fx.Shutdowner" {
		t.Errorf("trigger %v, want fx.Shutdowner", res.Report.Trigger)
	}
}

// TestHookNamesUnique: two hooks from one constructor get distinct names.
func TestHookNamesUnique(t *testing.T) {
	app := testkit.NewApp(grace.WithLogger(testkit.QuietLogger()))
	fxApp := fx.New(fx.NopLogger, gracefx.Module(app), fx.Invoke(twoHooks))
	if err := fxApp.Err(); err != nil {
		t.Fatal(err)
	}
	rep, err := testkit.RunAndStop(t, app)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gracefx_test.twoHooks", "gracefx_test.twoHooks#2"} {
		if rep.Component(name) == nil {
			t.Errorf("no component %s:\n%s", name, rep)
		}
	}
}

func twoHooks(lc fx.Lifecycle) {
	lc.Append(fx.Hook{})
	lc.Append(fx.Hook{})
}

// TestHookAppendedWhileRunningIsReported: a hook appended from an OnStart comes too late to
// become a component: it is logged as an error and not run.
func TestHookAppendedWhileRunningIsReported(t *testing.T) {
	var logs testkit.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	app := testkit.NewApp(grace.WithLogger(testkit.QuietLogger()))
	ran := false
	fxApp := fx.New(fx.NopLogger, gracefx.Module(app, gracefx.WithLogger(logger)),
		fx.Invoke(func(lc fx.Lifecycle) {
			lc.Append(fx.StartHook(func() {
				lc.Append(fx.StartHook(func() { ran = true }))
			}))
		}))
	if err := fxApp.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.RunAndStop(t, app); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("a hook appended while the app ran was run")
	}
	if !strings.Contains(logs.String(), "appended while the app runs") {
		t.Errorf("no error logged for the late hook; logs: %q", logs.String())
	}
}
