package gracefiber_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/gracefiber"
	"github.com/gracekit/grace/internal/testkit"
)

// BenchmarkFiberRollout: two instances behind a real HAProxy, two rolling restarts, at 1,000 and
// 5,000 req/s, written as Fiber's docs show (Listen, then ShutdownWithTimeout on SIGTERM) and
// with gracefiber. Metrics: fiber-failed-RATE, gracefiber-failed-RATE (requests that failed) and
// STYLE-sent-RATE. Run: go test -run '^$' -bench FiberRollout -benchtime 1x ./gracefiber
func BenchmarkFiberRollout(b *testing.B) {
	for b.Loop() {
		for _, rate := range []int{1000, 5000} {
			for _, style := range []string{"fiber", "gracefiber"} {
				var r testkit.DrillReport
				for range 3 {
					if r = rollout(b, style, rate, 2); !r.Behind {
						break
					}
				}
				if r.Behind {
					// The machine could not send the asked rate: no figure rather than a false one.
					b.Logf("%s at %d req/s: the drill fell behind three times; no figure", style, rate)
					continue
				}
				b.ReportMetric(float64(r.Failed), fmt.Sprintf("%s-failed-%d", style, rate))
				b.ReportMetric(float64(r.Requests), fmt.Sprintf("%s-sent-%d", style, rate))
			}
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFiberDrainTail: the time from the last request's end to the server's stop returning,
// with one request in flight when the stop begins: Fiber's ShutdownWithTimeout (fasthttp polls
// every 100 ms) against gracefiber's event-driven stop. Metrics fiber-tail-ms-p50/p99 and
// gracefiber-tail-ms-p50/p99 over 50 stops each.
func BenchmarkFiberDrainTail(b *testing.B) {
	for b.Loop() {
		for _, style := range []string{"fiber", "gracefiber"} {
			var tails []time.Duration
			for range 50 {
				tails = append(tails, drainTail(b, style))
			}
			slices.Sort(tails)
			b.ReportMetric(ms(tails[len(tails)/2]), style+"-tail-ms-p50")
			b.ReportMetric(ms(tails[len(tails)*99/100]), style+"-tail-ms-p99")
		}
	}
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// drainTail serves one Fiber app, starts a request that holds until released, begins the stop,
// releases the request and returns how long after the handler returned the stop did.
func drainTail(b *testing.B, style string) time.Duration {
	entered, release, ended := make(chan struct{}), make(chan struct{}), make(chan time.Time, 1)
	fapp := fiber.New()
	fapp.Get("/", func(c fiber.Ctx) error {
		close(entered)
		<-release
		defer func() { ended <- time.Now() }()
		return c.SendString("ok")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var stop func() error
	served := make(chan error, 1)
	switch style {
	case "fiber":
		go func() { served <- fapp.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
		stop = func() error { return fapp.ShutdownWithTimeout(10 * time.Second) }
	case "gracefiber":
		srv := gracefiber.New(fapp, gracefasthttp.WithListener(ln))
		if err := srv.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		go func() { served <- srv.Run(context.Background()) }()
		stop = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Stop(ctx)
		}
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	got := make(chan error, 1)
	go func() {
		resp, err := c.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	<-entered
	stopped := make(chan time.Time, 1)
	go func() {
		if err := stop(); err != nil {
			b.Error(err)
		}
		stopped <- time.Now()
	}()
	time.Sleep(5 * time.Millisecond) // let the stop begin waiting: the tail is what follows
	close(release)
	end := <-ended
	done := <-stopped
	if err := <-got; err != nil {
		b.Fatalf("%s: the request in flight failed: %v", style, err)
	}
	<-served
	return done.Sub(end)
}
