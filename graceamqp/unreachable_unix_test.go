//go:build unix

package graceamqp_test

import (
	"context"
	"errors"
	neturl "net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/internal/testkit"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestBrokerUnreachableAtStop stops an app — a consumer and a publisher on one connection —
// while its broker is frozen (SIGSTOP of a private broker's VM: connections stay open and nothing
// answers), cut off by a network partition, gone (every connection reset, as when the broker's
// host dies), or blocking publishers (a memory alarm: connection.blocked). Every stop ends within
// its component's limit. The consumer loses nothing — what it held goes back to the broker with
// the connection — and the publisher counts as lost exactly the messages it took and the broker
// never confirmed.
func TestBrokerUnreachableAtStop(t *testing.T) {
	const limit = 3 * time.Second
	// run runs the app on a connection that reaches the broker at url through a proxy, makes the
	// broker unreachable with unreachable, publishes a few messages, and stops the app.
	run := func(t *testing.T, url string, unreachable func(t *testing.T, p *testkit.Proxy), published func(t *testing.T, conn *graceamqp.Conn)) (*grace.Report, error) {
		a := newAdmin(t, url)
		q := a.queue(t)
		publishN(t, url, q, 200)
		u, err := neturl.Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		p := testkit.StartProxy(t, u.Host)
		u.Host = p.Addr()
		conn := dial(t, u.String())
		var handled atomic.Int64
		cons := graceamqp.NewConsumer(conn, q, func(ctx context.Context, d amqp.Delivery) error {
			handled.Add(1)
			return nil
		}, graceamqp.WithPrefetch(10), graceamqp.WithLogger(testkit.QuietLogger()))
		pub := graceamqp.NewPublisher(conn, graceamqp.WithLogger(testkit.QuietLogger()))
		gc := graceamqp.NewConn(conn, graceamqp.WithLogger(testkit.QuietLogger()))
		r := testkit.RunComponents(t,
			component{Name: "amqp", C: gc, Opts: []grace.ComponentOption{grace.StopTimeout(limit)}},
			component{Name: "consumer", C: cons, Opts: []grace.ComponentOption{grace.StopTimeout(limit), grace.DependsOn("amqp")}},
			component{Name: "publisher", C: pub, Opts: []grace.ComponentOption{grace.StopTimeout(limit), grace.DependsOn("amqp")}})
		testkit.Until(t, 20*time.Second, "some messages handled", func() bool { return handled.Load() > 0 })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := pub.Publish(ctx, "", q, amqp.Publishing{Body: []byte("before")}); err != nil {
			t.Fatalf("publish with the broker there: %v", err)
		}
		unreachable(t, p)
		var accepted int64
		for range 5 {
			pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			if _, err := pub.PublishDeferred(pctx, "", q, amqp.Publishing{Body: []byte("after")}); err == nil {
				accepted++
			} else {
				t.Logf("publish after the broker went: %v", err)
			}
			cancel()
		}
		if published != nil {
			published(t, gc)
		}
		begin := time.Now()
		r.App.Stop("test")
		res := r.Wait(t)
		if took := time.Since(begin); took > 2*limit+time.Second {
			t.Errorf("the stop took %v; the limits add up to %v", took, 2*limit)
		}
		for _, name := range []string{"publisher", "consumer", "amqp"} {
			// A component that saw the broker go before its stop has failed; either way, never
			// abandoned, and its stop within its limit.
			if c := res.Report.Component(name); c.State != grace.StateStopped && c.State != grace.StateFailed || c.Stop >= limit {
				t.Errorf("%s: state %q after %v, want stopped (or failed) within %v", name, c.State, c.Stop, limit)
			}
		}
		if acc := res.Report.Component("consumer").Account; acc.Lost != 0 {
			t.Errorf("the consumer lost %d", acc.Lost)
		}
		if lost := res.Report.Component("publisher").Account.Lost; lost != accepted {
			t.Errorf("the publisher lost %d messages, want the %d it took after the broker went", lost, accepted)
		}
		if accepted > 0 && (res.Report.Lost != accepted || !errors.Is(res.Err, grace.ErrLost)) {
			t.Errorf("report: %d lost, error %v; want %d and ErrLost", res.Report.Lost, res.Err, accepted)
		}
		t.Logf("%d publishes taken after the broker went\n%s", accepted, res.Report)
		return res.Report, res.Err
	}
	t.Run("gone", func(t *testing.T) {
		rep, err := run(t, brokerURL(t), func(t *testing.T, p *testkit.Proxy) { p.Close() }, nil)
		if !errors.Is(err, graceamqp.ErrClosed) {
			t.Errorf("error %v, want the connection's close (ErrClosed):\n%s", err, rep)
		}
	})
	t.Run("partitioned", func(t *testing.T) {
		rep, err := run(t, brokerURL(t), func(t *testing.T, p *testkit.Proxy) { p.Blackhole() }, nil)
		if err == nil || rep.Lost != 5 {
			t.Errorf("lost %d (want the 5 publishes after the partition), error %v", rep.Lost, err)
		}
		if n, unit, ok := testkit.Cut(rep.Component("publisher").Err); !ok || n != 5 || unit != "messages" {
			t.Errorf("publisher's error %v: cut %d %s (a cut error: %v), want the 5 unconfirmed messages", rep.Component("publisher").Err, n, unit, ok)
		}
	})
	b := startPrivateBroker(t) // for the memory alarm and the freeze
	t.Run("blocked", func(t *testing.T) {
		rep, _ := run(t, b.url, func(t *testing.T, _ *testkit.Proxy) {
			b.ctl(t, "set_vm_memory_high_watermark", "0.0000001")
			t.Cleanup(func() { b.ctl(t, "set_vm_memory_high_watermark", "0.4") })
		}, func(t *testing.T, conn *graceamqp.Conn) {
			// The broker blocks a connection when it publishes under the alarm.
			testkit.Until(t, 20*time.Second, "the connection blocked", func() bool {
				blocked, _ := conn.Blocked()
				return blocked
			})
		})
		if rep.Lost != 5 {
			t.Errorf("lost %d, want the 5 publishes the blocked broker never confirmed", rep.Lost)
		}
	})
	t.Run("frozen", func(t *testing.T) {
		rep, err := run(t, b.url, func(t *testing.T, _ *testkit.Proxy) {
			b.freeze(t)
			t.Cleanup(b.resume) // before the test's own connections clean up
		}, nil)
		if err == nil || rep.Lost != 5 {
			t.Errorf("lost %d (want the 5 publishes after the freeze), error %v", rep.Lost, err)
		}
	})
}
