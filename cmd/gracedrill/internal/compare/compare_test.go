package compare_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gracekit/grace/cmd/gracedrill/internal/compare"
	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
)

func TestTableFitsEightyColumnsForAnyNumberOfRuns(t *testing.T) {
	for n := 1; n <= 7; n++ {
		var runs []compare.Run
		for i := range n {
			runs = append(runs, compare.Run{Name: strings.Repeat("long-run-name-", i+1), Report: jsonreport.Report{
				Verdict: "fail", Traffic: jsonreport.Traffic{Requests: 123456789, Failed: 42,
					FailedByKind: map[string]int{"refused": 100000, "reset": 20000, "eof": 3000, "timeout": 400, "5xx": 50, "other": 6}},
			}})
		}
		var b strings.Builder
		if err := compare.WriteTable(&b, runs); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if utf8.RuneCountInString(l) > compare.Width || strings.Contains(l, "\t") {
				t.Errorf("%d runs: line %q is wider than %d or has a tab", n, l, compare.Width)
			}
		}
		if got := strings.Count(b.String(), "verdict"); got != (n+3)/4 {
			t.Errorf("%d runs: %d tables, want %d", n, got, (n+3)/4)
		}
	}
}

func TestLoadNamesRunsByFile(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, sub := range []string{"a", "b"} {
		p := filepath.Join(dir, sub, "run.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(jsonreport.Report{Traffic: jsonreport.Traffic{Mode: "run"}, Verdict: "pass"})
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	runs, err := compare.Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Name != "run" || runs[1].Name != "run (2)" {
		t.Fatalf("names %q, %q: want two distinct names", runs[0].Name, runs[1].Name)
	}
}
