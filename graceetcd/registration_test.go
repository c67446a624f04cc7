package graceetcd_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceetcd"
	"github.com/gracekit/grace/gracehttp"
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

	l := listen(t)
	g := make(gate)
	warming := make(chan struct{})
	warm := make(chan struct{})
	app := grace.New(grace.WithLogger(quietLog), grace.WithBudget(20*time.Second), grace.WithDrainDelay(10*time.Second))
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
	done := run(t, app)

	<-warming
	// The registration has started and the app is not ready: etcd must not hear of it.
	select {
	case ev := <-events:
		t.Fatalf("key written while the app was starting: %v", ev.Events)
	case <-time.After(500 * time.Millisecond):
	}
	close(warm)

	var put *clientv3.Event
	select {
	case resp := <-events:
		put = resp.Events[0]
	case <-time.After(10 * time.Second):
		t.Fatal("key not registered 10s after ready")
	}
	if put.Type != clientv3.EventTypePut || string(put.Kv.Value) != l.Addr().String() || put.Kv.Lease == 0 {
		t.Fatalf("first event %v %q lease %x, want a put of the address under a lease", put.Type, put.Kv.Value, put.Kv.Lease)
	}
	if p := app.Phase(); p != grace.PhaseReady {
		t.Errorf("key registered in phase %v", p)
	}

	app.Stop("test")
	select {
	case resp := <-events:
		ev := resp.Events[0]
		if ev.Type != clientv3.EventTypeDelete {
			t.Fatalf("event %v, want the key's deletion", ev.Type)
		}
		if l.isClosed() {
			t.Fatal("the key vanished only after the listener closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("key still registered 5s into the drain")
	}
	close(g)
	res := wait(t, done)
	if res.err != nil || res.rep.ExitCode != grace.ExitClean {
		t.Fatalf("stop not clean: %v\n%s", res.err, res.rep)
	}
	if !l.isClosed() {
		t.Error("listener not closed")
	}
}

// The lease is renewed while the app runs: its remaining TTL goes back up, again and again.
func TestLeaseIsKeptAlive(t *testing.T) {
	c := newClient(t, endpoint(t))
	key := testKey(t)
	app := grace.New(grace.WithLogger(quietLog))
	ac := newClient(t, endpoint(t)) // the app's client, closed by the app after the registration
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("etcd", graceetcd.New(app, ac, key, "v", graceetcd.WithTTL(5*time.Second), graceetcd.WithLogger(quietLog)))
	done := run(t, app)
	var lease clientv3.LeaseID
	until(t, 10*time.Second, "key not registered", func() bool {
		_, id, ok := getKey(t, c, key)
		lease = id
		return ok
	})
	renewals, last := 0, int64(1<<62)
	until(t, 15*time.Second, "lease not renewed twice", func() bool {
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
	if res := wait(t, done); res.err != nil {
		t.Fatalf("stop: %v\n%s", res.err, res.rep)
	}
	if _, _, ok := getKey(t, c, key); ok {
		t.Error("key still there after the stop")
	}
}

// A lost lease (revoked here; expired after an etcd outage in life) is replaced: the key comes back.
func TestLostLeaseIsReplaced(t *testing.T) {
	c := newClient(t, endpoint(t))
	key := testKey(t)
	app := grace.New(grace.WithLogger(quietLog))
	ac := newClient(t, endpoint(t)) // the app's client, closed by the app after the registration
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("etcd", graceetcd.New(app, ac, key, "v", graceetcd.WithLogger(quietLog)))
	done := run(t, app)
	var first clientv3.LeaseID
	until(t, 10*time.Second, "key not registered", func() bool {
		_, id, ok := getKey(t, c, key)
		first = id
		return ok
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Revoke(ctx, first); err != nil {
		t.Fatal(err)
	}
	until(t, 10*time.Second, "key not registered again under a new lease", func() bool {
		_, id, ok := getKey(t, c, key)
		return ok && id != first
	})
	app.Stop("test")
	if res := wait(t, done); res.err != nil {
		t.Fatalf("stop: %v\n%s", res.err, res.rep)
	}
}

// With etcd gone, the stop still ends within the budget — every call is bounded — and the report
// says why the key could not be removed.
func TestUnreachableEtcdDoesNotHoldTheStop(t *testing.T) {
	ep, kill := ownEtcd(t)
	c := newClient(t, ep)
	key := testKey(t)
	l := listen(t)
	const budget = 6 * time.Second
	app := grace.New(grace.WithLogger(quietLog), grace.WithBudget(budget))
	ac := newClient(t, ep)
	app.Add("etcd-client", grace.Closer(ac))
	app.Add("server", server(l))
	app.Add("etcd", graceetcd.New(app, ac, key, "v", graceetcd.WithCallTimeout(time.Second), graceetcd.WithLogger(quietLog)),
		grace.StopTimeout(4*time.Second))
	done := run(t, app)
	until(t, 10*time.Second, "key not registered", func() bool {
		_, _, ok := getKey(t, c, key)
		return ok
	})
	kill()
	app.Stop("test")
	res := wait(t, done)
	t.Logf("report:\n%s", res.rep)
	if res.rep.StopDuration >= budget {
		t.Errorf("stop took %v, budget %v", res.rep.StopDuration, budget)
	}
	comp := res.rep.Component("etcd")
	if comp == nil || comp.State != grace.StateStopped {
		t.Fatalf("etcd component: %+v, want stopped (not abandoned)", comp)
	}
	var de *graceetcd.DeregisterError
	if !errors.As(res.err, &de) || de.Key != key || de.Lease == 0 {
		t.Fatalf("Run's error %v: want a *DeregisterError for %s with its lease", res.err, key)
	}
	if !contains(comp.Error, "drain etcd", "deregister", key, "revoke lease", "expires with its lease") {
		t.Errorf("report error %q does not say why deregistration failed", comp.Error)
	}
	if !strings.Contains(comp.Error, "deadline exceeded") && !strings.Contains(comp.Error, "connection refused") &&
		!strings.Contains(comp.Error, "Unavailable") {
		t.Errorf("report error %q does not carry the cause", comp.Error)
	}
	if res.rep.ExitCode != grace.ExitStopFailed {
		t.Errorf("exit code %d, want %d", res.rep.ExitCode, grace.ExitStopFailed)
	}
	if !l.isClosed() {
		t.Error("the server did not stop")
	}
}

// Bad configuration fails the start, naming every problem.
func TestBadConfigurationFailsTheStart(t *testing.T) {
	app := grace.New(grace.WithLogger(quietLog))
	app.Add("etcd", graceetcd.New(app, nil, "", "v", graceetcd.WithTTL(time.Millisecond), graceetcd.WithCallTimeout(-time.Second)))
	rep, err := app.Run(context.Background())
	if err == nil || rep.ExitCode != grace.ExitStartFailed {
		t.Fatalf("exit %d, err %v: want a failed start", rep.ExitCode, err)
	}
	for _, want := range []string{"lease TTL must be at least 1s, got 1ms", "call timeout must be positive, got -1s", "etcd client is nil", "key is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
