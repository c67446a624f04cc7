package gracehttp

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
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
// as many as fit. Recording allocates nothing and takes a handful of atomic operations (a slot's
// state is its lock: free, being written, busy, being read). Reading the clock
// costs more than all the rest on some virtual machines (170 ns here), so a request's start is
// read from a clock sampled on every clockEvery-th request; requests that arrive while the
// server drains (when the clock is read anyway) get their exact start. A listed age can therefore
// overstate by the time between clockEvery arrivals.
type flight struct {
	active atomic.Int64
	next   atomic.Uint32
	coarse atomic.Int64 // the last clock sample, since epoch
	slots  []slot
	epoch  time.Time
	onIdle func() // called when active drops to zero
}

// Slot states.
const (
	slotFree uint32 = iota
	slotWriting
	slotBusy
	slotReading
)

type slot struct {
	state  atomic.Uint32
	method string
	path   string
	at     time.Duration // since epoch
}

func newFlight(n int, onIdle func()) *flight {
	return &flight{slots: make([]slot, n), epoch: time.Now(), onIdle: onIdle}
}

// sample records now (since epoch) as the latest clock reading.
func (f *flight) sample(now int64) {
	if now > f.coarse.Load() {
		f.coarse.Store(now)
	}
}

const clockEvery = 16

// begin records r, which arrived at now (since epoch; negative when the caller did not read the
// clock); the returned index (or -1 when the table is full) goes to end.
func (f *flight) begin(r *http.Request, now int64) int {
	f.active.Add(1)
	n := uint32(len(f.slots))
	start := f.next.Add(1)
	if now < 0 {
		if start%clockEvery == 0 {
			now = int64(time.Since(f.epoch))
			f.coarse.Store(now)
		} else {
			now = f.coarse.Load()
		}
	}
	for i := range min(n, 8) {
		idx := (start + i) % n
		s := &f.slots[idx]
		if s.state.CompareAndSwap(slotFree, slotWriting) {
			s.method, s.path = r.Method, r.URL.Path
			s.at = time.Duration(now)
			s.state.Store(slotBusy)
			return int(idx)
		}
	}
	return -1
}

func (f *flight) end(idx int) {
	if idx >= 0 {
		s := &f.slots[idx]
		for !s.state.CompareAndSwap(slotBusy, slotFree) {
			runtime.Gosched() // a list is copying this slot: it is done in a moment
		}
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
		if !s.state.CompareAndSwap(slotBusy, slotReading) {
			continue
		}
		method, path, at := s.method, s.path, s.at
		s.state.Store(slotBusy)
		out = append(out, InFlightRequest{Method: method, Route: path, Age: now - at})
	}
	slices.SortFunc(out, func(a, b InFlightRequest) int { return int(b.Age - a.Age) })
	return out
}
