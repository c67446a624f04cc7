package testkit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/internal/testkit"
)

func TestLedgerCountsDuplicatesPerRun(t *testing.T) {
	l := testkit.NewLedger("record")
	l.NextRun()
	for _, v := range []string{"0", "1", "2", "1"} {
		if err := l.Add([]byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	l.NextRun()
	for _, v := range []string{"2", "3"} {
		if err := l.Add([]byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Add([]byte("x")); err == nil || !strings.Contains(err.Error(), `record value "x"`) {
		t.Fatalf("Add(x) = %v, want an error naming the value", err)
	}
	distinct, dups, handled, counts := l.Snapshot()
	if distinct != 4 || l.Distinct() != 4 {
		t.Errorf("distinct %d (Distinct %d), want 4", distinct, l.Distinct())
	}
	if want := []int{1, 1}; !equal(dups, want) {
		t.Errorf("dups %v, want %v", dups, want)
	}
	if want := []int{4, 2}; !equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
	if counts[1] != 2 || counts[2] != 2 || counts[0] != 1 || counts[3] != 1 {
		t.Errorf("counts %v", counts)
	}
	if got := failures(t, func(tb testing.TB) {
		if total := l.Check(tb, 4, 1); total != 2 {
			tb.Errorf("total %d, want 2", total)
		}
	}); got != "" {
		t.Errorf("Check within the bound failed: %s", got)
	}
	got := failures(t, func(tb testing.TB) { l.Check(tb, 6, 0) })
	for _, want := range []string{"record 4 never handled", "record 5 never handled", "run 0 handled 1 records again, more than one batch (0)", "run 1 handled 1 records again"} {
		if !strings.Contains(got, want) {
			t.Errorf("Check failures %q lack %q", got, want)
		}
	}
}

func TestLedgerAddBeforeNextRunCountsAsRunZero(t *testing.T) {
	l := testkit.NewLedger("message")
	l.Add([]byte("7"))
	if _, dups, handled, _ := l.Snapshot(); !equal(handled, []int{1}) || !equal(dups, []int{0}) {
		t.Fatalf("handled %v dups %v, want one run with one value", handled, dups)
	}
}

func TestLedgerWaitDistinct(t *testing.T) {
	l := testkit.NewLedger("message")
	l.NextRun()
	go func() {
		for _, v := range []string{"1", "1", "2", "3"} {
			time.Sleep(time.Millisecond)
			l.Add([]byte(v))
		}
	}()
	l.WaitDistinct(t, 3, 20*time.Second)
	got := failures(t, func(tb testing.TB) { l.WaitDistinct(tb, 4, 20*time.Millisecond) })
	if got != "only 3 distinct messages handled after 20ms, want 4" {
		t.Fatalf("failure %q", got)
	}
}

func TestLedgerReadFileReadsOnlyNewCompleteLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handled")
	l := testkit.NewLedger("record")
	l.NextRun()
	l.ReadFile(t, path) // not there yet: nothing
	if err := os.WriteFile(path, []byte("0\n1\n2"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.ReadFile(t, path)
	if d := l.Distinct(); d != 2 {
		t.Fatalf("distinct %d after 0, 1 and half a line, want 2", d)
	}
	if err := os.WriteFile(path, []byte("0\n1\n2\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.NextRun()
	l.ReadFile(t, path)
	if _, dups, handled, _ := l.Snapshot(); !equal(handled, []int{2, 2}) || !equal(dups, []int{0, 1}) {
		t.Fatalf("handled %v dups %v, want [2 2] and [0 1]", handled, dups)
	}
	if err := os.WriteFile(path, []byte("0\n1\n2\n1\nnope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := failures(t, func(tb testing.TB) { l.ReadFile(tb, path) }); !strings.Contains(got, `line "nope"`) {
		t.Fatalf("failure %q, want the bad line named", got)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
