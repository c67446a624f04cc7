package testkit

import "testing"

// CheckLog is [Ledger.Check] — every value in 0..n-1 handled, no run handling more than bound
// values again — followed by a log of what the runs handled: per run, the values handled and
// those handled again. It returns the duplicates of all runs together.
func (l *Ledger) CheckLog(t testing.TB, n, bound int) (total int) {
	t.Helper()
	total = l.Check(t, n, bound)
	distinct, dups, handled, _ := l.Snapshot()
	t.Logf("%d %ss, %d distinct handled in %d runs; handled per run %v, again per run %v (total %d; bound %d a run)",
		n, l.noun, distinct, len(dups), handled, dups, total, bound)
	return total
}
