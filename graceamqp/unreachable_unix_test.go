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

// TestBrokerUnreachableAtStop stops an app while its broker is frozen (SIGSTOP of a private
// broker's VM: connections stay open and nothing answers), cut off by a network partition, or
// gone (every connection reset, as when the broker's host dies): every stop ends within its
// component's limit, and nothing is counted lost — what the consumer held goes back to the
// broker with the connection.
func TestBrokerUnreachableAtStop(t *testing.T) {
	const limit = 2 * time.Second
	// run runs a consumer that reaches the broker at url through a proxy, makes the broker
	// unreachable with unreachable, and stops the app.
	run := func(t *testing.T, url string, unreachable func(t *testing.T, p *testkit.Proxy)) (*grace.Report, error) {
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
		r := runApp(t,
			component{"amqp", graceamqp.NewConn(conn, graceamqp.WithLogger(testkit.QuietLogger())), []grace.ComponentOption{grace.StopTimeout(limit)}},
			component{"consumer", cons, []grace.ComponentOption{grace.StopTimeout(limit)}})
		testkit.Until(t, 20*time.Second, "some messages handled", func() bool { return handled.Load() > 0 })
		begin := time.Now()
		unreachable(t, p)
		r.App.Stop("test")
		res := r.Wait(t)
		if took := time.Since(begin); took > 2*limit+time.Second {
			t.Errorf("the stop took %v; the limits add up to %v", took, 2*limit)
		}
		for _, name := range []string{"consumer", "amqp"} {
			// A component that saw the broker go before its stop has failed; either way, never
			// abandoned, and its stop within its limit.
			if c := res.Report.Component(name); c.State != grace.StateStopped && c.State != grace.StateFailed || c.Stop >= limit {
				t.Errorf("%s: state %q after %v, want stopped (or failed) within %v", name, c.State, c.Stop, limit)
			}
			if acc := res.Report.Component(name).Account; acc.Lost != 0 {
				t.Errorf("%s lost %d", name, acc.Lost)
			}
		}
		t.Logf("%s", res.Report)
		return res.Report, res.Err
	}
	t.Run("gone", func(t *testing.T) {
		rep, err := run(t, brokerURL(t), func(t *testing.T, p *testkit.Proxy) { p.Close() })
		if !errors.Is(err, graceamqp.ErrClosed) {
			t.Errorf("error %v, want the connection's close (ErrClosed):\n%s", err, rep)
		}
	})
	t.Run("partitioned", func(t *testing.T) {
		rep, err := run(t, brokerURL(t), func(t *testing.T, p *testkit.Proxy) { p.Blackhole() })
		if err == nil {
			t.Errorf("a stop that found no broker reported no error:\n%s", rep)
		}
	})
	t.Run("frozen", func(t *testing.T) {
		b := startPrivateBroker(t)
		rep, err := run(t, b.url, func(t *testing.T, _ *testkit.Proxy) { b.freeze(t) })
		if err == nil {
			t.Errorf("a stop that found no broker reported no error:\n%s", rep)
		}
	})
}
