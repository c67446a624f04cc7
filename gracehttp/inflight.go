package gracehttp

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// InFlightRequest is a request that was running when a drain was slow or cut short.
type InFlightRequest struct {
	Method string        `json:"method"`
	Route  string        `json:"route"` // the request's path
	Age    time.Duration `json:"age_ns"`
}

func (r InFlightRequest) String() string {
	return fmt.Sprintf("%s %s (%v)", r.Method, r.Route, r.Age.Round(time.Millisecond))
}

// CutError is returned (wrapped) by [Server.Stop] when requests were still running at its
// deadline: their contexts were cancelled and their connections closed. It lists them, oldest
// first, so they land in the app's report.
type CutError struct {
	Server   string
	Requests []InFlightRequest // those the table tracked, oldest first
	Total    int               // every request cut, listed or not
}

func (e *CutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d in-flight requests cut at the deadline", e.Total)
	for i, r := range e.Requests {
		if i == 10 {
			fmt.Fprintf(&b, ", and %d more", e.Total-i)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// flight counts running requests and records, in a fixed table, the method, route and start of
// as many as fit. Recording costs two uncontended locks and a clock read, and allocates nothing.
type flight struct {
	active atomic.Int64
	next   atomic.Uint32
	slots  []slot
	epoch  time.Time
	onIdle func() // called when active drops to zero
}

type slot struct {
	busy   atomic.Bool
	mu     sync.Mutex
	method string
	path   string
	at     time.Duration // since epoch
}

func newFlight(n int, onIdle func()) *flight {
	return &flight{slots: make([]slot, n), epoch: time.Now(), onIdle: onIdle}
}

// begin records r; the returned index (or -1 when the table is full) goes to end.
func (f *flight) begin(r *http.Request) int {
	f.active.Add(1)
	n := uint32(len(f.slots))
	start := f.next.Add(1)
	for i := range min(n, 8) {
		idx := (start + i) % n
		s := &f.slots[idx]
		if s.busy.CompareAndSwap(false, true) {
			s.mu.Lock()
			s.method, s.path = r.Method, r.URL.Path
			s.at = time.Since(f.epoch)
			s.mu.Unlock()
			return int(idx)
		}
	}
	return -1
}

func (f *flight) end(idx int) {
	if idx >= 0 {
		s := &f.slots[idx]
		s.mu.Lock()
		s.method, s.path = "", ""
		s.mu.Unlock()
		s.busy.Store(false)
	}
	if f.active.Add(-1) == 0 {
		f.onIdle()
	}
}

// list returns the tracked requests still running, oldest first.
func (f *flight) list() []InFlightRequest {
	now := time.Since(f.epoch)
	var out []InFlightRequest
	for i := range f.slots {
		s := &f.slots[i]
		if !s.busy.Load() {
			continue
		}
		s.mu.Lock()
		method, path, at := s.method, s.path, s.at
		s.mu.Unlock()
		if method == "" {
			continue
		}
		out = append(out, InFlightRequest{Method: method, Route: path, Age: now - at})
	}
	slices.SortFunc(out, func(a, b InFlightRequest) int { return int(b.Age - a.Age) })
	return out
}
