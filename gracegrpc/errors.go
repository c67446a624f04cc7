package gracegrpc

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gracekit/grace"
)

// CutError is returned by [Server.Stop] when the graceful stop had not finished at the cut: the
// server was stopped hard, and Methods lists the RPCs that were still running, by method. It
// matches grace.ErrCut and is a grace.CutError: Cut returns the RPCs cut, unit "rpcs".
type CutError struct {
	// Waited is how long the graceful stop ran before the cut.
	Waited time.Duration
	// Methods are the RPCs cut, one entry per method, oldest first.
	Methods []CutMethod
	// Stuck are the RPCs whose handlers had still not returned after the hard stop: they ignore
	// their context, and their goroutines are left behind.
	Stuck []CutMethod
}

// CutMethod is one method whose RPCs were cut.
type CutMethod struct {
	Method string        // full method name, "/package.Service/Method"
	Kind   string        // KindUnary, KindServerStream, KindClientStream or KindBidiStream
	Count  int           // how many of its RPCs were running
	Oldest time.Duration // how long the oldest had been running at the cut
}

func (e *CutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graceful stop unfinished after %v; stopped hard", e.Waited.Round(time.Millisecond))
	if len(e.Methods) == 0 {
		b.WriteString(" (no rpc was running: connections were still closing)")
		return b.String()
	}
	n, _ := e.Cut()
	fmt.Fprintf(&b, ", cutting %d rpc", n)
	if n != 1 {
		b.WriteString("s")
	}
	b.WriteString(":")
	writeMethods(&b, e.Methods)
	if len(e.Stuck) > 0 {
		b.WriteString("; handlers ignoring their cancelled context, still running:")
		writeMethods(&b, e.Stuck)
	}
	return b.String()
}

func writeMethods(b *strings.Builder, ms []CutMethod) {
	for i, m := range ms {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(b, " %s (%s", m.Method, m.Kind)
		if m.Count > 1 {
			fmt.Fprintf(b, " x%d, oldest", m.Count)
		} else {
			b.WriteString(",")
		}
		fmt.Fprintf(b, " running %v)", m.Oldest.Round(time.Millisecond))
	}
}

// Is reports whether target is grace.ErrCut.
func (e *CutError) Is(target error) bool { return target == grace.ErrCut }

// Cut returns how many RPCs were cut (the sum of Methods' counts), and the unit, "rpcs".
func (e *CutError) Cut() (int, string) {
	n := 0
	for _, m := range e.Methods {
		n += m.Count
	}
	return n, "rpcs"
}

// inFlight groups the RPCs running now by method, oldest first.
func (s *Server) inFlight() []CutMethod {
	now := time.Now()
	byMethod := map[string]*CutMethod{}
	s.mu.Lock()
	for c := range s.calls {
		m := byMethod[c.method]
		if m == nil {
			m = &CutMethod{Method: c.method, Kind: c.kind}
			byMethod[c.method] = m
		}
		m.Count++
		m.Oldest = max(m.Oldest, now.Sub(c.start))
	}
	s.mu.Unlock()
	out := make([]CutMethod, 0, len(byMethod))
	for _, m := range byMethod {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b CutMethod) int {
		return cmp.Or(cmp.Compare(b.Oldest, a.Oldest), strings.Compare(a.Method, b.Method))
	})
	return out
}
