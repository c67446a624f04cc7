package gracehttp_test

import (
	"testing"

	"github.com/gracekit/grace/gracehttp"
)

// A request read on an idle keep-alive connection just as the stop closes it is either served
// on an open connection or not run at all: never run with its response bound for a closed one
// (the client would see EOF for work that was done).
func TestIdleCloseAndRequestNeverBothWin(t *testing.T) {
	// Stop first: the handler must not run, and no response may be written (net/http would
	// answer an empty 200 for a handler that returns without writing: a success for nothing).
	if ran, closed, aborted := gracehttp.RaceIdleClose(true); ran || !aborted {
		t.Errorf("stop first: the handler ran %v (connection closed: %v), aborted %v", ran, closed, aborted)
	}
	if ran, closed, aborted := gracehttp.RaceIdleClose(false); !ran || closed || aborted {
		t.Errorf("request first: handler ran %v, connection closed under it %v, aborted %v", ran, closed, aborted)
	}
}
