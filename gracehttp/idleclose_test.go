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
