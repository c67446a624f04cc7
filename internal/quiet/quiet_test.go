package quiet_test

import (
	"testing"
	"time"

	"github.com/gracekit/grace/internal/quiet"
	"github.com/gracekit/grace/internal/testkit"
)

// Quiet once nothing arrived for the period after the drain began; an arrival puts it off.
func TestQuietAfterThePeriodWithoutArrivals(t *testing.T) {
	const d = 100 * time.Millisecond
	p := quiet.New(d)
	defer p.Stop()
	select { // before Begin, time does not count
	case <-p.Done():
		t.Fatal("quiet before the drain began")
	case <-time.After(2 * d):
	}
	begun := time.Now()
	p.Begin()
	// Arrivals every 20 ms for 300 ms keep it from being quiet.
	var last time.Time
	for time.Since(begun) < 3*d {
		last = time.Now()
		p.Arrived(last)
		select {
		case <-p.Done():
			t.Fatalf("quiet %v after the drain began, with work arriving", time.Since(begun))
		default:
		}
		time.Sleep(d / 5)
	}
	testkit.Await(t, p.Done(), 10*time.Second, "the quiet period to pass")
	if waited := time.Since(last); waited < d {
		t.Fatalf("quiet %v after the last arrival, want at least %v", waited, d)
	}
}

// Stop keeps the channel open for good; a period that is not positive is never quiet.
func TestStopAndNoPeriod(t *testing.T) {
	p := quiet.New(20 * time.Millisecond)
	p.Begin()
	p.Stop()
	p.Stop()
	p.Begin()
	select {
	case <-p.Done():
		t.Fatal("quiet after Stop")
	case <-time.After(100 * time.Millisecond):
	}
	if n := quiet.New(0); n.Done() != nil {
		t.Fatal("a zero period has a channel")
	} else {
		n.Begin()
		n.Arrived(time.Now())
		n.Stop()
	}
}
