package gracefasthttp

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// maxPath is how much of a request's path a tracking slot keeps: copying into a fixed array
// allocates nothing.
const maxPath = 96

type slot struct {
	method string // interned for the common methods, so no allocation
	path   [maxPath]byte
	plen   int
	start  time.Time
}

// flight counts running requests and names as many as fit in a fixed table of slots, taken and
// given back under a mutex held for a few field copies.
type flight struct {
	active atomic.Int64
	onIdle func() // called when active drops to zero

	mu    sync.Mutex
	slots []slot
	free  []int32
	busy  []bool
}

func newFlight(n int, onIdle func()) *flight {
	f := &flight{onIdle: onIdle, slots: make([]slot, n), free: make([]int32, n), busy: make([]bool, n)}
	for i := range f.free {
		f.free[i] = int32(n - 1 - i)
	}
	return f
}

var methods = []string{fasthttp.MethodGet, fasthttp.MethodPost, fasthttp.MethodPut, fasthttp.MethodDelete,
	fasthttp.MethodPatch, fasthttp.MethodHead, fasthttp.MethodOptions, fasthttp.MethodConnect, fasthttp.MethodTrace}

func intern(m []byte) string {
	for _, s := range methods {
		if string(m) == s {
			return s
		}
	}
	return string(m)
}

// begin records ctx's request; the returned index (-1 when the table is full) goes to end.
func (f *flight) begin(ctx *fasthttp.RequestCtx) int32 {
	f.active.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.free)
	if n == 0 {
		return -1
	}
	idx := f.free[n-1]
	f.free = f.free[:n-1]
	s := &f.slots[idx]
	s.method = intern(ctx.Method())
	s.plen = copy(s.path[:], ctx.Path())
	s.start = ctx.Time()
	f.busy[idx] = true
	return idx
}

func (f *flight) end(idx int32) {
	if idx >= 0 {
		f.mu.Lock()
		f.busy[idx] = false
		f.free = append(f.free, idx)
		f.mu.Unlock()
	}
	if f.active.Add(-1) == 0 {
		f.onIdle()
	}
}

// list returns the tracked requests still running, oldest first.
func (f *flight) list() []InFlightRequest {
	now := time.Now()
	f.mu.Lock()
	var out []InFlightRequest
	for i, b := range f.busy {
		if b {
			s := &f.slots[i]
			out = append(out, InFlightRequest{Method: s.method, Path: string(s.path[:s.plen]), Age: now.Sub(s.start)})
		}
	}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b InFlightRequest) int { return int(b.Age - a.Age) })
	return out
}
