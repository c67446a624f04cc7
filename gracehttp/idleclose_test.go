package gracehttp_test

import (
	"testing"

	"github.com/gracekit/grace/gracehttp"
)

// The stop's pass over the idle connections settles the same race: a connection it closes is
// no longer tracked and its late request is not run; a connection a request claimed first is
// left open and tracked, so the stop still waits for it.
func TestIdleClosePassAndRequestNeverBothWin(t *testing.T) {
	if ran, closed, tracked := gracehttp.RaceIdleCloseAll(true); ran || !closed || tracked {
		t.Errorf("stop first: handler ran %v, closed %v, still tracked %v; want not run, closed, untracked", ran, closed, tracked)
	}
	if ran, closed, tracked := gracehttp.RaceIdleCloseAll(false); !ran || closed || !tracked {
		t.Errorf("request first: handler ran %v, closed under it %v, tracked %v; want run, open, tracked", ran, closed, tracked)
	}
}

// A connection net/http closes just as the stop's pass finds it idle is not waited for: the
// stop would wait for a close that already happened, forever without a deadline.
func TestConnectionClosedDuringIdlePassIsNotWaitedFor(t *testing.T) {
	if waited, closed := gracehttp.CloseDuringIdlePass(); waited != 0 || !closed {
		t.Fatalf("the stop still waits for %d connections (Close returned: %v), want 0", waited, closed)
	}
}
