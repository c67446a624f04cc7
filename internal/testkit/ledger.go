package testkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ledger counts the records a consumer under test handled, by value, run by run: how many it
// handled in each run, how many of those an earlier run (or the same one) had handled already
// (the duplicates), and how many distinct values it has seen in all. The records' values are the
// decimal numbers 0..n-1 a test produced. A Ledger is safe for concurrent use: handlers add to it
// while the test waits on it.
type Ledger struct {
	noun string // what a record is called in failure messages: "record", "message"

	mu       sync.Mutex
	counts   map[int]int
	run      int
	dups     []int // dups[i]: values run i handled that had been handled before
	handled  []int // handled[i]: values run i handled
	distinct int
	changed  chan struct{} // closed and replaced at every Add
	lines    int           // complete lines of the file ReadFile reads already counted
}

// NewLedger returns an empty ledger. noun is what the records are called in its failure messages
// ("record", "message"; the plural adds an s). A test calls [Ledger.NextRun] before each run of
// the consumer; values added before the first NextRun count towards run 0.
func NewLedger(noun string) *Ledger {
	return &Ledger{noun: noun, counts: map[int]int{}, run: -1, changed: make(chan struct{})}
}

// NextRun starts counting a new run of the consumer: later values count towards it.
func (l *Ledger) NextRun() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextRun()
}

// nextRun starts a run; l.mu is held.
func (l *Ledger) nextRun() {
	l.dups = append(l.dups, 0)
	l.handled = append(l.handled, 0)
	l.run = len(l.dups) - 1
}

// Add counts one handled record whose value is the decimal number in value. It returns an error,
// and counts nothing, if value is not a number.
func (l *Ledger) Add(value []byte) error {
	v, err := strconv.Atoi(string(value))
	if err != nil {
		return fmt.Errorf("%s value %q: %w", l.noun, value, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.add(v)
	return nil
}

// add counts v; l.mu is held.
func (l *Ledger) add(v int) {
	if l.run < 0 {
		l.nextRun()
	}
	if l.counts[v] > 0 {
		l.dups[l.run]++
	} else {
		l.distinct++
	}
	l.counts[v]++
	l.handled[l.run]++
	close(l.changed)
	l.changed = make(chan struct{})
}

// Distinct returns how many distinct values were handled in all runs.
func (l *Ledger) Distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.distinct
}

// WaitDistinct waits until at least n distinct values were handled, at most d; past it, it fails
// t naming how many were.
func (l *Ledger) WaitDistinct(t testing.TB, n int, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		l.mu.Lock()
		got, ch := l.distinct, l.changed
		l.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			t.Fatalf("only %d distinct %ss handled after %v, want %d", got, l.noun, d, n)
		}
	}
}

// Snapshot returns copies of what the ledger holds: the distinct values handled, the duplicates
// and the values handled per run, and how often each value was handled.
func (l *Ledger) Snapshot() (distinct int, dups, handled []int, counts map[int]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := make(map[int]int, len(l.counts))
	for k, v := range l.counts {
		c[k] = v
	}
	return l.distinct, append([]int(nil), l.dups...), append([]int(nil), l.handled...), c
}

// Check fails t (without stopping it) for every value in 0..n-1 never handled and for every run
// that handled more than bound values again, and returns the duplicates of all runs together:
// the at-least-once check, with at most one batch handled again per restart.
func (l *Ledger) Check(t testing.TB, n, bound int) (total int) {
	t.Helper()
	_, dups, _, counts := l.Snapshot()
	for v := range n {
		if counts[v] == 0 {
			t.Errorf("%s %d never handled", l.noun, v)
		}
	}
	for run, d := range dups {
		total += d
		if d > bound {
			t.Errorf("run %d handled %d %ss again, more than one batch (%d)", run, d, l.noun, bound)
		}
	}
	return total
}

// ReadFile adds the values in the complete lines of the file at path that an earlier ReadFile
// has not read: the file a consumer in another process ([StartChild]) appends each value it
// handles to, one a line. A file that does not exist yet has no lines. It fails t if the file
// cannot be read or a line is not a number.
func (l *Ledger) ReadFile(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		t.Fatal(err)
	}
	all := strings.Split(string(b), "\n")
	all = all[:len(all)-1] // complete lines only
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range all[min(l.lines, len(all)):] {
		v, err := strconv.Atoi(line)
		if err != nil {
			t.Fatalf("line %q in %s: %v", line, path, err)
		}
		l.add(v)
	}
	l.lines = max(l.lines, len(all))
}
