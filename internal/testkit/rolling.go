package testkit

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

// RollingRestart is the rolling-restart test of a consumer: two instances consume the same n
// values together, as in a rolling deployment, counted in one run of l (the caller has begun
// it). start runs one instance ([RunSignalled], ready when it returns) whose handler does some
// work, adds 1 to took and adds the value to l. Once l holds a third of the values and both
// instances have handled some, RollingRestart stops the first — it must exit clean — while the
// second goes on alone until l holds all n; then it stops the second, which must exit clean too.
// It fails t if the instances never shared the work (within 20 s), or if more than bound values
// were handled twice; and logs what each instance handled. It returns when both are stopped.
func (l *Ledger) RollingRestart(t testing.TB, n, bound int, start func(took *atomic.Int32) *Signalled) {
	t.Helper()
	var byA, byB atomic.Int32
	a := start(&byA)
	b := start(&byB)
	l.WaitDistinct(t, n/3, 30*time.Second)
	for deadline := time.Now().Add(20 * time.Second); byA.Load() == 0 || byB.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s instance a handled %d %ss and b %d: they never shared the work", byA.Load(), l.noun, byB.Load())
		}
	}
	a.App.Stop("rolling restart")
	if rep := a.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("instance a: exit %d:\n%s", rep.ExitCode, rep)
	}
	l.WaitDistinct(t, n, 30*time.Second) // b alone finishes
	b.App.Stop("done")
	if rep := b.Wait(t).Report; rep.ExitCode != grace.ExitClean {
		t.Fatalf("instance b: exit %d:\n%s", rep.ExitCode, rep)
	}
	distinct, dups, handled, _ := l.Snapshot()
	run := len(dups) - 1
	if dups[run] > bound {
		t.Errorf("%d %ss handled twice, more than one batch (%d)", dups[run], l.noun, bound)
	}
	t.Logf("%d %ss, %d distinct handled, %d handled (instance a %d, b %d), %d duplicates (bound %d)",
		n, l.noun, distinct, handled[run], byA.Load(), byB.Load(), dups[run], bound)
}
