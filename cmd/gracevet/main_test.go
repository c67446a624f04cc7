package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// finding is one diagnostic the e2e module must produce: analyzer, file:line, and a fragment of
// the message.
type finding struct {
	analyzer, posn, fragment string
}

// wantFindings lists testdata/e2e/bad's one mistake per analyzer.
func wantFindings() []finding {
	return []finding{
		{"ctxtwin", "bad/bad.go:18:10", "(*sql.DB).QueryRow in an HTTP handler ignores the request context"},
		{"bodycopy", "bad/bad.go:21:10", "io.Copy of the request body in an HTTP handler ignores the request context"},
		{"chanloop", "bad/bad.go:29:3", "goroutine ranges over in, which nothing in this package closes"},
		{"servererr", "bad/bad.go:39:13", "the error of (*http.Server).ListenAndServe is treated as fatal"},
		{"exitafter", "bad/bad.go:47:2", "os.Exit outside package main"},
		{"tickerstop", "bad/bad.go:52:7", "ticker t is not stopped on the path that returns at line 57"},
		{"signalstop", "bad/bad.go:65:2", "signal.Notify(ch) is never undone"},
	}
}

type result struct {
	code           int
	stdout, stderr string
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
	dir, err := filepath.Abs(filepath.Join("testdata", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, name string, args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		code := 0
		switch {
		case errors.As(err, &exit):
			code = exit.ExitCode()
		case err != nil:
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return result{code, stdout.String(), stderr.String()}
	}

	t.Run("standalone", func(t *testing.T) {
		r := run(t, bin, "./...")
		if r.code != 1 {
			t.Fatalf("gracevet ./...: exit %d, want 1 (go vet's status for findings)\n%s", r.code, r.stderr)
		}
		checkText(t, r.stderr)
	})
	t.Run("standalone-json", func(t *testing.T) {
		r := run(t, bin, "-json", "./...")
		if r.code != 0 {
			t.Fatalf("gracevet -json ./...: exit %d, want 0\n%s", r.code, r.stderr)
		}
		checkJSON(t, r.stdout)
	})
	t.Run("go-vet", func(t *testing.T) {
		r := run(t, goTool, "vet", "-vettool="+bin, "./...")
		if r.code != 1 {
			t.Fatalf("go vet -vettool: exit %d, want 1\n%s", r.code, r.stderr)
		}
		checkText(t, r.stderr)
	})
	t.Run("go-vet-json", func(t *testing.T) {
		r := run(t, goTool, "vet", "-vettool="+bin, "-json", "./...")
		if r.code != 0 {
			t.Fatalf("go vet -vettool -json: exit %d, want 0\n%s", r.code, r.stderr)
		}
		checkJSON(t, r.stdout)
	})
	t.Run("clean", func(t *testing.T) {
		for _, args := range [][]string{{bin, "./clean"}, {goTool, "vet", "-vettool=" + bin, "./clean"}} {
			r := run(t, args[0], args[1:]...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, r.code, r.stderr)
			}
		}
	})
	t.Run("one-analyzer", func(t *testing.T) {
		r := run(t, bin, "-chanloop", "./...")
		if r.code != 1 || !strings.Contains(r.stderr, "goroutine ranges over in") || strings.Contains(r.stderr, "os.Exit") {
			t.Fatalf("gracevet -chanloop: exit %d, want 1 with only chanloop's finding\n%s", r.code, r.stderr)
		}
	})
	t.Run("load-error", func(t *testing.T) {
		r := run(t, bin, "./nonexistent")
		if r.code != 1 || !strings.Contains(r.stderr, "nonexistent") {
			t.Fatalf("gracevet ./nonexistent: exit %d, want 1 naming the package\n%s", r.code, r.stderr)
		}
	})
}

// checkText checks text output: one line per finding, each expected one present.
func checkText(t *testing.T, out string) {
	t.Helper()
	want := wantFindings()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.Contains(l, w.posn+": ") && strings.Contains(l, w.fragment) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no line %q ... %q in\n%s", w.analyzer, w.posn, w.fragment, out)
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
	want := wantFindings()
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
		ds := got[w.analyzer]
		if len(ds) != 1 || !strings.HasSuffix(ds[0].Posn, w.posn) || !strings.Contains(ds[0].Message, w.fragment) {
			t.Errorf("%s: got %+v, want one finding at %s containing %q", w.analyzer, ds, w.posn, w.fragment)
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
