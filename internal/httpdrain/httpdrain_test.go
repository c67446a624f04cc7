package httpdrain_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/httpdrain"
	"github.com/gracekit/grace/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

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

type named string

func (n named) String() string { return string(n) }

func TestCutText(t *testing.T) {
	if got, want := httpdrain.RequestName("GET", "/report", 1234567*time.Microsecond), "GET /report (1.235s)"; got != want {
		t.Errorf("RequestName: %q, want %q", got, want)
	}
	var many []named
	for i := range 12 {
		many = append(many, named(fmt.Sprint(i)))
	}
	for _, tc := range []struct {
		total int
		named []named
		want  string
	}{
		{2, []named{"a", "b"}, "2 in-flight requests cut at the deadline: a, b"},
		{5, []named{"a"}, "5 in-flight requests cut at the deadline: a, and 4 more"},
		{3, nil, "3 in-flight requests cut at the deadline"},
		{15, many, "15 in-flight requests cut at the deadline: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, and 5 more"},
	} {
		if got := httpdrain.CutText(tc.total, tc.named); got != tc.want {
			t.Errorf("CutText(%d, %d named):\n got %q\nwant %q", tc.total, len(tc.named), got, tc.want)
		}
	}
}
