package graceetcd_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceetcd"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// gate is a Quieter the test holds: the drain delay lasts until the test closes it.
type gate chan struct{}

func (g gate) Quiet() <-chan struct{} { return g }

// The key appears only once the app is ready (not while a component is still starting), and a
// watcher sees it vanish at the drain, while the instance's HTTP server still listens.
func TestKeyLivesFromReadyToDrain(t *testing.T) {
	c := newClient(t, endpoint(t))
	key := testKey(t)
	ctx, cancelWatch := context.WithCancel(context.Background())
	defer cancelWatch()
	events := c.Watch(ctx, key)

	l := testkit.Listen(t)
	g := make(gate)
	warming := make(chan struct{})
	warm := make(chan struct{})
	app := testkit.NewApp(grace.WithBudget(20*time.Second), grace.WithDrainDelay(10*time.Second))
	ac := newClient(t, endpoint(t)) // the app's client, closed by the app after the registration
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("http", gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(l)))
	app.Add("etcd", graceetcd.New(app, ac, key, l.Addr().String()))
	app.Add("warmup", grace.Hook{OnStart: func(context.Context) error {
		close(warming)
		<-warm
		return nil
	}})
	app.Add("gate", g, grace.Independent())
	r := testkit.Run(t, app)

	testkit.Await(t, warming, testkit.ReadyWait, "the warmup to start")
	// The registration has started and the app is not ready: etcd must not hear of it.
	select {
	case ev := <-events:
		t.Fatalf("key written while the app was starting: %v", ev.Events)
	case <-time.After(500 * time.Millisecond):
	}
	close(warm)

	put := testkit.Recv(t, events, 10*time.Second, "the key to be registered once ready").Events[0]
	if put.Type != clientv3.EventTypePut || string(put.Kv.Value) != l.Addr().String() || put.Kv.Lease == 0 {
		t.Fatalf("first event %v %q lease %x, want a put of the address under a lease", put.Type, put.Kv.Value, put.Kv.Lease)
	}
	if p := app.Phase(); p != grace.PhaseReady {
		t.Errorf("key registered in phase %v", p)
	}

	app.Stop("test")
	if ev := testkit.Recv(t, events, 5*time.Second, "the key to vanish at the drain").Events[0]; ev.Type != clientv3.EventTypeDelete {
		t.Fatalf("event %v, want the key's deletion", ev.Type)
	}
	if l.IsClosed() {
		t.Fatal("the key vanished only after the listener closed")
	}
	close(g)
	res := r.Wait(t)
	if res.Err != nil || res.Report.ExitCode != grace.ExitClean {
		t.Fatalf("stop not clean: %v\n%s", res.Err, res.Report)
	}
	if !l.IsClosed() {
		t.Error("listener not closed")
	}
}

// registered runs an app with a Registration of a key of the test's own, made with opts, and
// waits until the key is in etcd. It returns the test's own client, the key, the lease it is
// under, the app and its run.
func registered(t *testing.T, opts ...graceetcd.Option) (*clientv3.Client, string, clientv3.LeaseID, *grace.App, *testkit.Running) {
	t.Helper()
	c := newClient(t, endpoint(t))
	key := testKey(t)
	app := testkit.NewApp()
	ac := newClient(t, endpoint(t)) // the app's client, closed by the app after the registration
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("etcd", graceetcd.New(app, ac, key, "v", append([]graceetcd.Option{graceetcd.WithLogger(testkit.QuietLogger())}, opts...)...))
	r := testkit.Run(t, app)
	var lease clientv3.LeaseID
	testkit.Until(t, 10*time.Second, "the key to be registered", func() bool {
		_, id, ok := getKey(t, c, key)
		lease = id
		return ok
	})
	return c, key, lease, app, r
}

// The lease is renewed while the app runs: its remaining TTL goes back up, again and again.
func TestLeaseIsKeptAlive(t *testing.T) {
	c, key, lease, app, r := registered(t, graceetcd.WithTTL(5*time.Second))
	renewals, last := 0, int64(1<<62)
	testkit.Until(t, 15*time.Second, "the lease to be renewed twice", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		resp, err := c.TimeToLive(ctx, lease)
		if err != nil || resp.TTL < 0 {
			t.Fatalf("lease %x: ttl %v, err %v: expired", lease, resp, err)
		}
		if resp.TTL > last {
			renewals++
		}
		last = resp.TTL
		return renewals >= 2
	})
	if _, _, ok := getKey(t, c, key); !ok {
		t.Fatal("key gone while the app runs")
	}
	app.Stop("test")
	if res := r.Wait(t); res.Err != nil {
		t.Fatalf("stop: %v\n%s", res.Err, res.Report)
	}
	if _, _, ok := getKey(t, c, key); ok {
		t.Error("key still there after the stop")
	}
}

// A lost lease (revoked here; expired after an etcd outage in life) is replaced: the key comes back.
func TestLostLeaseIsReplaced(t *testing.T) {
	c, key, first, app, r := registered(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Revoke(ctx, first); err != nil {
		t.Fatal(err)
	}
	testkit.Until(t, 10*time.Second, "the key to be registered again under a new lease", func() bool {
		_, id, ok := getKey(t, c, key)
		return ok && id != first
	})
	app.Stop("test")
	if res := r.Wait(t); res.Err != nil {
		t.Fatalf("stop: %v\n%s", res.Err, res.Report)
	}
}

// With etcd gone, the stop still ends within the budget — every call is bounded — and the report
// says why the key could not be removed.
func TestUnreachableEtcdDoesNotHoldTheStop(t *testing.T) {
	ep, kill := ownEtcd(t)
	c := newClient(t, ep)
	key := testKey(t)
	l := testkit.Listen(t)
	const budget = 6 * time.Second
	app := testkit.NewApp(grace.WithBudget(budget))
	ac := newClient(t, ep)
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("server", server(l))
	app.Add("etcd", graceetcd.New(app, ac, key, "v", graceetcd.WithCallTimeout(time.Second), graceetcd.WithLogger(testkit.QuietLogger())),
		grace.StopTimeout(4*time.Second))
	r := testkit.Run(t, app)
	testkit.Until(t, 10*time.Second, "the key to be registered", func() bool {
		_, _, ok := getKey(t, c, key)
		return ok
	})
	kill()
	app.Stop("test")
	res := r.Wait(t)
	t.Logf("report:\n%s", res.Report)
	if res.Report.StopDuration >= budget {
		t.Errorf("stop took %v, budget %v", res.Report.StopDuration, budget)
	}
	comp := res.Report.Component("etcd")
	if comp == nil || comp.State != grace.StateStopped {
		t.Fatalf("etcd component: %+v, want stopped (not abandoned)", comp)
	}
	var de *graceetcd.DeregisterError
	if !errors.As(res.Err, &de) || de.Key != key || de.Lease == 0 {
		t.Fatalf("Run's error %v: want a *DeregisterError for %s with its lease", res.Err, key)
	}
	if !contains(comp.Error, "drain etcd", "deregister", key, "revoke lease", "expires with its lease") {
		t.Errorf("report error %q does not say why deregistration failed", comp.Error)
	}
	if !strings.Contains(comp.Error, "deadline exceeded") && !strings.Contains(comp.Error, "connection refused") &&
		!strings.Contains(comp.Error, "Unavailable") {
		t.Errorf("report error %q does not carry the cause", comp.Error)
	}
	if res.Report.ExitCode != grace.ExitStopFailed {
		t.Errorf("exit code %d, want %d", res.Report.ExitCode, grace.ExitStopFailed)
	}
	if !l.IsClosed() {
		t.Error("the server did not stop")
	}
}

// Bad configuration is a configuration error, naming every problem, and nothing starts.
func TestBadConfigurationIsAConfigurationError(t *testing.T) {
	app := testkit.NewApp()
	started := false
	app.Add("first", grace.Hook{OnStart: func(context.Context) error { started = true; return nil }})
	reg := graceetcd.New(app, nil, "", "v", graceetcd.WithTTL(time.Millisecond), graceetcd.WithCallTimeout(-time.Second))
	app.Add("etcd", reg)
	rep, err := app.Run(context.Background())
	if !errors.Is(err, grace.ErrInvalid) || rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("exit %d, err %v: want a configuration error", rep.ExitCode, err)
	}
	for _, want := range []string{`component "etcd": lease TTL must be at least 1s, got 1ms`,
		"call timeout must be positive, got -1s", "etcd client is nil", "key is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if started {
		t.Error("a component started despite the bad configuration")
	}
	// Outside an app, Start refuses the same configuration.
	if err := reg.Start(context.Background()); err == nil || err.Error() != reg.Validate().Error() {
		t.Errorf("Start = %v, want Validate's error", err)
	}
}

// TestContracts: a Registration is the grace interfaces its doc comment names.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &graceetcd.Registration{}, (*grace.Validator)(nil), (*grace.Starter)(nil), (*grace.Runner)(nil), (*grace.Drainer)(nil), (*grace.Stopper)(nil))
}

// A lease the registration gave up while etcd did not answer may still hold the key (etcd may
// come back before the lease runs out): the stop must still try to revoke it, and say so when it
// cannot — never report a clean deregistration with the key left behind.
func TestLeaseGivenUpWhileEtcdIsGoneIsStillReported(t *testing.T) {
	ep, kill := ownEtcd(t)
	c := newClient(t, ep)
	key := testKey(t)
	var logs testkit.Buffer
	app := testkit.NewApp(grace.WithBudget(10 * time.Second))
	ac := newClient(t, ep)
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("etcd", graceetcd.New(app, ac, key, "v", graceetcd.WithTTL(2*time.Second),
		graceetcd.WithCallTimeout(500*time.Millisecond), graceetcd.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))),
		grace.StopTimeout(4*time.Second))
	r := testkit.Run(t, app)
	var lease clientv3.LeaseID
	testkit.Until(t, 10*time.Second, "the key to be registered", func() bool {
		var ok bool
		_, lease, ok = getKey(t, c, key)
		return ok
	})
	kill()
	// The client gives the lease up once its TTL passes unrenewed; registering again then fails.
	testkit.Until(t, 15*time.Second, "the registration to give its lease up", func() bool {
		return strings.Contains(logs.String(), "lease lost") && strings.Contains(logs.String(), "registration failed")
	})
	app.Stop("test")
	res := r.Wait(t)
	var de *graceetcd.DeregisterError
	if !errors.As(res.Err, &de) || de.Key != key || de.Lease != lease {
		t.Fatalf("Run's error %v: want a *DeregisterError for %s with the lease given up (%x)\n%s", res.Err, key, int64(lease), res.Report)
	}
}
