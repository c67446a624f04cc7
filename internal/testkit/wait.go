package testkit

import (
	"testing"
	"time"
)

// PollInterval is how often [Until] looks at its condition.
const PollInterval = 10 * time.Millisecond

// Recv receives one value from ch and returns it, waiting at most d. If nothing arrives by then
// it fails t with "waited d for what", so what should read as the event awaited ("the query to
// return"). A closed channel delivers its zero value at once.
func Recv[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("waited %v for %s", d, what)
		var zero T
		return zero
	}
}

// Await waits until ch is closed (or delivers), at most d, and fails t as [Recv] does if it is
// not. It is Recv for the channels that only signal, such as grace's App.Await.
func Await(t testing.TB, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	Recv(t, ch, d, what)
}

// Until calls cond every [PollInterval] until it returns true, at most d, and fails t as [Recv]
// does if it never does. It is for conditions no event announces (a key in etcd, a backend gone
// from pg_stat_activity); cond runs on the test's goroutine.
func Until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(PollInterval)
	}
}
