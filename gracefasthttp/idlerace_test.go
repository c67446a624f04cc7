package gracefasthttp_test

import (
	"testing"

	"github.com/gracekit/grace/gracefasthttp"
)

// A request read on an idle keep-alive connection just as the stop closes it is either served
// on an open connection or not run at all: never run with its response bound for a closed one
// (the client would see EOF for work that was done).
func TestIdleCloseAndRequestNeverBothWin(t *testing.T) {
	if ran, closed := gracefasthttp.RaceIdleClose(true); ran || !closed {
		t.Errorf("stop first: the handler ran %v, connection closed %v", ran, closed)
	}
	if ran, closed := gracefasthttp.RaceIdleClose(false); !ran || closed {
		t.Errorf("request first: handler ran %v, connection closed under it %v", ran, closed)
	}
}
