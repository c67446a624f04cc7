package testkit_test

import (
	"testing"

	"github.com/gracekit/grace/internal/testkit"
)

func TestLedgerTimes(t *testing.T) {
	tl := testkit.NewLedger("message")
	tl.Add([]byte("3"))
	tl.NextRun()
	tl.Add([]byte("3"))
	tl.Add([]byte("4"))
	if got := tl.Times(t, "3"); got != 2 {
		t.Errorf("Times(3) = %d, want 2 (once per run)", got)
	}
	if got := tl.Times(t, "5"); got != 0 {
		t.Errorf("Times(5) = %d, want 0: never handled", got)
	}
}
