package gracenats

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"time"
)

// spawned is the goroutines nats.go starts on a goroutine's behalf — the one in which
// nats.Conn.Drain drains and then closes the connection, and the ones that goroutine starts in
// turn (a subscription's drain) — so that Conn.Stop can wait for them to end, not only for the
// closed handler: nats.go runs the closed handler before it closes the socket, and closing the
// socket waits for the connection's reader to let go of it.
//
// nats.go gives no handle on those goroutines, so spawned finds them in the goroutine dump,
// by who created them: a goroutine ID is never reused.
type spawned struct {
	creator string         // "created by" line naming the function that starts the first ones
	ids     map[int64]bool // the goroutines found so far, alive or ended
}

// spawnedBy starts tracking the goroutines that fn (a function name as Go prints it, such as
// "(*Conn).Drain") started from the current goroutine and those they started. Call it before fn
// and call [spawned.wait] after.
func spawnedBy(fn string) *spawned {
	return &spawned{creator: fn + " in goroutine " + strconv.FormatInt(currentGoroutine(), 10), ids: map[int64]bool{}}
}

// wait waits until every goroutine found has ended, or ctx ends; it reports whether they ended.
// It looks often at first (they usually end within microseconds), then less often.
func (h *spawned) wait(ctx context.Context) bool {
	pause := 20 * time.Microsecond
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		if !h.alive() {
			return true
		}
		t.Reset(pause)
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Millisecond)
	}
}

// alive takes one goroutine dump, adds the goroutines that the tracked ones (or fn) started,
// and reports whether any tracked goroutine is still in it.
func (h *spawned) alive() bool {
	type g struct {
		id      int64
		creator string
	}
	var gs []g
	for _, block := range bytes.Split(allStacks(), []byte("\n\n")) {
		id, ok := goroutineID(block)
		if !ok {
			continue
		}
		var creator string
		if i := bytes.LastIndex(block, []byte("\ncreated by ")); i >= 0 {
			line, _, _ := bytes.Cut(block[i+len("\ncreated by "):], []byte("\n"))
			creator = string(line)
		}
		gs = append(gs, g{id, creator})
	}
	// A goroutine's creator may come after it in the dump: repeat until nothing is added.
	for added := true; added; {
		added = false
		for _, g := range gs {
			if h.ids[g.id] {
				continue
			}
			if isCreator(g.creator, h.creator) || h.startedByTracked(g.creator) {
				h.ids[g.id] = true
				added = true
			}
		}
	}
	for _, g := range gs {
		if h.ids[g.id] {
			return true
		}
	}
	return false
}

// isCreator reports whether a "created by" line, "pkg.Func in goroutine N", is fnInG, the
// function's name without its package path followed by " in goroutine N".
func isCreator(line, fnInG string) bool {
	return line == fnInG || (len(line) > len(fnInG) && line[len(line)-len(fnInG)-1] == '.' && line[len(line)-len(fnInG):] == fnInG)
}

// startedByTracked reports whether a "created by" line names a tracked goroutine.
func (h *spawned) startedByTracked(line string) bool {
	_, n, ok := bytes.Cut([]byte(line), []byte(" in goroutine "))
	if !ok {
		return false
	}
	id, err := strconv.ParseInt(string(n), 10, 64)
	return err == nil && h.ids[id]
}

// goroutineID parses the header of one goroutine's stack, "goroutine N [state]:".
func goroutineID(stack []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(stack, []byte("goroutine "))
	if !ok {
		return 0, false
	}
	n, _, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(string(n), 10, 64)
	return id, err == nil
}

// currentGoroutine returns the current goroutine's ID.
func currentGoroutine() int64 {
	var buf [64]byte
	id, _ := goroutineID(buf[:runtime.Stack(buf[:], false)])
	return id
}

// allStacks returns the stacks of every goroutine, the buffer grown until they fit.
func allStacks() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}
