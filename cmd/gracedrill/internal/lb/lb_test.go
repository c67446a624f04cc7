package lb_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gracekit/grace/cmd/gracedrill/internal/lb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFirstProbeIsJustBeforeTheSignal(t *testing.T) {
	for _, tc := range []struct{ signalAt, interval, want time.Duration }{
		{3 * time.Second, 500 * time.Millisecond, 495 * time.Millisecond},
		{1100 * time.Millisecond, 500 * time.Millisecond, 95 * time.Millisecond},
		{30 * time.Millisecond, 20 * time.Millisecond, 8 * time.Millisecond},
	} {
		got := lb.FirstProbe(tc.signalAt, tc.interval)
		if got != tc.want || (tc.signalAt-got)%tc.interval >= tc.interval/10+time.Millisecond {
			t.Errorf("FirstProbe(%v, %v) = %v, want %v", tc.signalAt, tc.interval, got, tc.want)
		}
	}
}

// A service that flips readiness, then closes its listener: Poll and Watch see both, in order.
func TestPollAndWatchSeeReadinessThenListener(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/readyz"
	p := lb.NewProber(time.Second)
	if err := p.WaitReady(context.Background(), url, nil, 2*time.Second); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	polled := make(chan time.Time, 1)
	go p.Poll(ctx, url, 10*time.Millisecond, 20*time.Millisecond, func(at time.Time, _ error) { polled <- at })
	watched := make(chan lb.Observations, 1)
	go func() { watched <- p.Watch(ctx, url, ln.Addr().String(), 5*time.Millisecond, nil) }()

	flip := time.Now()
	ready.Store(false)
	select {
	case at := <-polled:
		if at.Before(flip) {
			t.Fatal("Poll reported not ready before the flip")
		}
	case <-ctx.Done():
		t.Fatal("Poll never saw not ready")
	}
	closed := time.Now()
	srv.Close()
	<-served
	obs := <-watched
	if obs.NotReady.IsZero() || obs.NotReady.Before(flip) || obs.ListenerClosed.Before(closed) {
		t.Fatalf("observations %+v (flip %v, close %v)", obs, flip, closed)
	}
	if err := p.WaitReady(context.Background(), url, nil, 100*time.Millisecond); err == nil {
		t.Fatal("WaitReady succeeded against a closed listener")
	}
}
