package gracehttp

import (
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace/internal/httpdrain"
)

// InFlightRequest is a request that was running when a drain was slow or cut short.
type InFlightRequest struct {
	Method string        `json:"method"`
	Route  string        `json:"route"`  // the request's path
	Age    time.Duration `json:"age_ns"` // at least this; see Server.InFlight
}

// String names the request as a cut error does: method, route and age to the millisecond.
func (r InFlightRequest) String() string { return httpdrain.RequestName(r.Method, r.Route, r.Age) }

// flight counts running requests and records, in a fixed table, the method, route and start of
// as many as fit. Recording allocates nothing and takes a handful of atomic operations (a slot's
// state is its lock: free, being written, busy, being read).
//
// Reading the clock costs more than all the rest on some virtual machines (170 ns here), so
// requests do not all read it. Each gets a sequence number; every clockEvery-th request, the
// drain's start and every request that arrives while draining (when the clock is read anyway)
// record a (sequence, time) sample. A request without a time of its own started before the first
// sample taken after it, so its listed age is a lower bound, exact to within clockEvery arrivals
// and never more than the time since the drain began short.
type flight struct {
	active atomic.Int64
	next   atomic.Uint64
	slots  []slot
	epoch  time.Time
	onIdle func() // called when active drops to zero

	ringMu sync.Mutex
	ring   [64]clockSample
	ringN  int
}

type clockSample struct {
	seq uint64
	at  int64 // since epoch
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
	seq    uint64
	at     int64 // since epoch, or -1: see the samples
}

func newFlight(n int, onIdle func()) *flight {
	return &flight{slots: make([]slot, n), epoch: time.Now(), onIdle: onIdle}
}

// sample records that every request numbered up to seq had begun at now (since epoch).
func (f *flight) sample(seq uint64, now int64) {
	f.ringMu.Lock()
	f.ring[f.ringN%len(f.ring)] = clockSample{seq, now}
	f.ringN++
	f.ringMu.Unlock()
}

// sampleNow takes a sample, for the drain's start.
func (f *flight) sampleNow() {
	seq := f.next.Load()
	f.sample(seq, int64(time.Since(f.epoch)))
}

// startOf returns a time by which request seq had begun: the earliest sample taken after it,
// or now when there is none.
func (f *flight) startOf(seq uint64, now int64) int64 {
	f.ringMu.Lock()
	defer f.ringMu.Unlock()
	best := now
	for _, smp := range f.ring[:min(f.ringN, len(f.ring))] {
		if smp.seq >= seq && smp.at < best {
			best = smp.at
		}
	}
	return best
}

const clockEvery = 16

// begin records r, which arrived at now (since epoch; negative when the caller did not read the
// clock); the returned index (or -1 when the table is full) goes to end.
func (f *flight) begin(r *http.Request, now int64) int {
	f.active.Add(1)
	n := uint64(len(f.slots))
	seq := f.next.Add(1)
	if now < 0 && seq%clockEvery == 0 {
		now = int64(time.Since(f.epoch))
		f.sample(seq, now)
	}
	for i := range min(n, 8) {
		idx := (seq + i) % n
		s := &f.slots[idx]
		if s.state.CompareAndSwap(slotFree, slotWriting) {
			s.method, s.path = r.Method, r.URL.Path
			s.seq, s.at = seq, now
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
	now := int64(time.Since(f.epoch))
	var out []InFlightRequest
	for i := range f.slots {
		s := &f.slots[i]
		if !s.state.CompareAndSwap(slotBusy, slotReading) {
			continue
		}
		method, path, seq, at := s.method, s.path, s.seq, s.at
		s.state.Store(slotBusy)
		if at < 0 {
			at = f.startOf(seq, now)
		}
		out = append(out, InFlightRequest{Method: method, Route: path, Age: time.Duration(now - at)})
	}
	slices.SortFunc(out, func(a, b InFlightRequest) int { return int(b.Age - a.Age) })
	return out
}
