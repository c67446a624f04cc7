package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gracekit/grace/cmd/gracevet/internal/e2e"
)

// TestMain fails the package when a test leaves a goroutine behind (a command's output copier,
// a timer of its context).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestEndToEnd builds gracevet and runs it on testdata/e2e both standalone and as go vet's tool,
// in text and JSON form, checking exit statuses and every analyzer's finding.
func TestEndToEnd(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build gracevet and run go vet: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "gracevet")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir, err := e2e.Dir(".")
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, name string, args ...string) e2e.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		r, err := e2e.Run(ctx, dir, nil, name, args...)
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return r
	}

	t.Run("standalone", func(t *testing.T) {
		r := run(t, bin, "./...")
		if r.Code != 1 {
			t.Fatalf("gracevet ./...: exit %d, want 1 (go vet's status for findings)\n%s", r.Code, r.Stderr)
		}
		checkText(t, r.Stderr)
	})
	t.Run("standalone-json", func(t *testing.T) {
		r := run(t, bin, "-json", "./...")
		if r.Code != 0 {
			t.Fatalf("gracevet -json ./...: exit %d, want 0\n%s", r.Code, r.Stderr)
		}
		checkJSON(t, r.Stdout)
	})
	t.Run("go-vet", func(t *testing.T) {
		r := run(t, goTool, "vet", "-vettool="+bin, "./...")
		if r.Code != 1 {
			t.Fatalf("go vet -vettool: exit %d, want 1\n%s", r.Code, r.Stderr)
		}
		checkText(t, r.Stderr)
	})
	t.Run("go-vet-json", func(t *testing.T) {
		r := run(t, goTool, "vet", "-vettool="+bin, "-json", "./...")
		if r.Code != 0 {
			t.Fatalf("go vet -vettool -json: exit %d, want 0\n%s", r.Code, r.Stderr)
		}
		checkJSON(t, r.Stdout)
	})
	t.Run("clean", func(t *testing.T) {
		for _, args := range [][]string{{bin, "./clean"}, {goTool, "vet", "-vettool=" + bin, "./clean"}} {
			r := run(t, args[0], args[1:]...)
			if r.Code != 0 || r.Stderr != "" {
				t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, r.Code, r.Stderr)
			}
		}
	})
	t.Run("one-analyzer", func(t *testing.T) {
		r := run(t, bin, "-chanloop", "./...")
		if r.Code != 1 || !strings.Contains(r.Stderr, "goroutine ranges over in") || strings.Contains(r.Stderr, "os.Exit") {
			t.Fatalf("gracevet -chanloop: exit %d, want 1 with only chanloop's finding\n%s", r.Code, r.Stderr)
		}
	})
	t.Run("load-error", func(t *testing.T) {
		r := run(t, bin, "./nonexistent")
		if r.Code != 1 || !strings.Contains(r.Stderr, "nonexistent") {
			t.Fatalf("gracevet ./nonexistent: exit %d, want 1 naming the package\n%s", r.Code, r.Stderr)
		}
	})
}

// checkText checks text output: one line per finding, each expected one present.
func checkText(t *testing.T, out string) {
	t.Helper()
	want := e2e.Findings()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.Contains(l, w.Posn+": ") && strings.Contains(l, w.Fragment) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no line %q ... %q in\n%s", w.Analyzer, w.Posn, w.Fragment, out)
		}
	}
	if strings.Contains(out, "clean/") {
		t.Errorf("finding in package clean:\n%s", out)
	}
	if len(lines) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
}

type diagnostic struct {
	Posn           string `json:"posn"`
	Message        string `json:"message"`
	SuggestedFixes []struct {
		Message string `json:"message"`
		Edits   []struct {
			New string `json:"new"`
		} `json:"edits"`
	} `json:"suggested_fixes"`
}

// checkJSON decodes the JSON stream (go vet prints one object per package) and checks each
// analyzer's findings, and ctxtwin's suggested fix.
func checkJSON(t *testing.T, out string) {
	t.Helper()
	want := e2e.Findings()
	got := map[string][]diagnostic{} // analyzer -> diagnostics in package bad
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var tree map[string]map[string]json.RawMessage
		if err := dec.Decode(&tree); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode -json output: %v\n%s", err, out)
		}
		for pkg, byAnalyzer := range tree {
			if pkg != "example.com/e2e/bad" {
				t.Errorf("findings in %s: %v", pkg, byAnalyzer)
				continue
			}
			for name, raw := range byAnalyzer {
				var ds []diagnostic
				if err := json.Unmarshal(raw, &ds); err != nil {
					t.Fatalf("%s: not a list of diagnostics (an analysis error?): %s", name, raw)
				}
				got[name] = append(got[name], ds...)
			}
		}
	}
	for _, w := range want {
		ds := got[w.Analyzer]
		if len(ds) != 1 || !strings.HasSuffix(ds[0].Posn, w.Posn) || !strings.Contains(ds[0].Message, w.Fragment) {
			t.Errorf("%s: got %+v, want one finding at %s containing %q", w.Analyzer, ds, w.Posn, w.Fragment)
		}
	}
	if len(got) != len(want) {
		t.Errorf("analyzers with findings: %d, want %d", len(got), len(want))
	}
	if ds := got["ctxtwin"]; len(ds) == 1 {
		fixes := ds[0].SuggestedFixes
		if len(fixes) != 1 || len(fixes[0].Edits) != 2 || fixes[0].Edits[0].New != "QueryRowContext" || fixes[0].Edits[1].New != "r.Context(), " {
			t.Errorf("ctxtwin fix: %+v, want QueryRowContext with r.Context()", fixes)
		}
	}
}

func TestStandalone(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"./..."}, true},
		{[]string{"-json", "./..."}, true},
		{[]string{"-V=full"}, false},
		{[]string{"-flags"}, false},
		{[]string{"/tmp/vet123/vet.cfg"}, false},
		{[]string{"-json", "/tmp/vet123/vet.cfg"}, false},
		{[]string{"help"}, false},
		{[]string{"help", "chanloop"}, false},
		{nil, false},
	} {
		if got := standalone(c.args); got != c.want {
			t.Errorf("standalone(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

func TestStatus(t *testing.T) {
	exitWith := func(code string) error {
		t.Helper()
		sh, err := exec.LookPath("sh")
		if err != nil {
			t.Fatalf("sh is needed to produce exit statuses: %v", err)
		}
		return exec.Command(sh, "-c", "exit "+code).Run()
	}
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{exitWith("3"), 1}, // the multichecker's "diagnostics found" becomes go vet's 1
		{exitWith("1"), 1},
		{exitWith("2"), 2}, // flag errors keep their status
		{errors.New("could not start"), 1},
	} {
		if got := status(c.err); got != c.want {
			t.Errorf("status(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
