package httpdrain_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gracekit/grace/internal/httpdrain"
)

// The stop and a request race for an idle connection, many times over: exactly one wins each
// race; a request that released its claim lets the stop have the connection after it.
func TestClaimHasOneWinner(t *testing.T) {
	for range 2000 {
		var c httpdrain.Claim
		var wins atomic.Int32
		var wg sync.WaitGroup
		wg.Go(func() {
			if c.ForRequest() {
				wins.Add(1)
			}
		})
		wg.Go(func() {
			if c.ForClose() {
				wins.Add(1)
			}
		})
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d winners, want exactly 1", n)
		}
	}
	var c httpdrain.Claim
	if !c.ForRequest() || c.ForClose() {
		t.Fatal("a request's claim must keep the stop off the connection")
	}
	c.Release()
	if !c.ForClose() || c.ForRequest() {
		t.Fatal("once released, the stop claims the connection and keeps it")
	}
	c.Release() // the stop's claim is not a request's to give back
	if c.ForRequest() {
		t.Fatal("Release gave back the stop's claim")
	}
}
