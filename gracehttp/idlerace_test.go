package gracehttp_test

import (
	"testing"

	"github.com/gracekit/grace/gracehttp"
)

// A request read on an idle keep-alive connection just as the stop closes it is either served
// on an open connection or not run at all: never run with its response bound for a closed one
// (the client would see EOF for work that was done).
func TestIdleCloseAndRequestNeverBothWin(t *testing.T) {
	if ran, closed := gracehttp.RaceIdleClose(true); ran {
		t.Errorf("stop first: the handler ran (connection closed: %v)", closed)
	}
	if ran, closed := gracehttp.RaceIdleClose(false); !ran || closed {
		t.Errorf("request first: handler ran %v, connection closed under it %v", ran, closed)
	}
}
