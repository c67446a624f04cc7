package gracehttp

import (
	"context"
	"net/http"
	"runtime"
)

// TrackedConnBytes measures what tracking costs per connection: the wrapper, its entry in the
// server's set, and the context value naming it, allocated for n connections.
func TrackedConnBytes(n int) uint64 {
	s := New(&http.Server{})
	ctxs := make([]context.Context, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		c := &trackedConn{s: s}
		c.outer = c
		s.connOpened(c)
		ctxs[i] = context.WithValue(context.Background(), connKey{}, c)
	}
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ctxs)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}
