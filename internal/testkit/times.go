package testkit

import (
	"strconv"
	"testing"
)

// Times returns how often the ledger's value (a message's or record's value, as it was added)
// was handled over all runs — whether a message cut off or failed in one run was handled, once,
// by the next. It fails t if value is not one the ledger counts.
func (l *Ledger) Times(t testing.TB, value string) int {
	t.Helper()
	v, err := strconv.Atoi(value)
	if err != nil {
		t.Fatalf("%s %q is not one of the ledger's values: %v", l.noun, value, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[v]
}
