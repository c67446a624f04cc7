package gclplugin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gracekit/grace/cmd/gracevet/gclplugin"
	"github.com/gracekit/grace/cmd/gracevet/internal/e2e"
	"github.com/gracekit/grace/cmd/gracevet/internal/gclbuild"
)

func TestNew(t *testing.T) {
	p, err := gclplugin.New(nil)
	if err != nil {
		t.Fatalf("New(nil): %v", err)
	}
	all, err := p.BuildAnalyzers()
	if err != nil || len(all) != 7 {
		t.Fatalf("BuildAnalyzers: %d analyzers, %v; want 7", len(all), err)
	}
	if mode := p.GetLoadMode(); mode != "typesinfo" {
		t.Errorf("GetLoadMode = %q, want typesinfo", mode)
	}
	p, err = gclplugin.New(map[string]any{"disable": []any{"servererr", "chanloop"}})
	if err != nil {
		t.Fatalf("New(disable): %v", err)
	}
	some, _ := p.BuildAnalyzers()
	for _, a := range some {
		if a.Name == "servererr" || a.Name == "chanloop" {
			t.Errorf("disabled analyzer %s still built", a.Name)
		}
	}
	if len(some) != 5 {
		t.Errorf("%d analyzers after disabling 2, want 5", len(some))
	}
	if _, err := gclplugin.New(map[string]any{"disable": []any{"chanlop"}}); err == nil || !strings.Contains(err.Error(), `"chanlop"`) {
		t.Errorf("New(disable: chanlop) = %v, want an error naming chanlop", err)
	}
	if _, err := gclplugin.New(map[string]any{"enable": true}); err == nil {
		t.Error("New(enable: true) accepted an unknown setting")
	}
}

const config = `version: "2"
run:
  relative-path-mode: gomod
linters:
  default: none
  enable:
    - gracevet
  settings:
    custom:
      gracevet:
        type: module
        description: graceful-shutdown mistakes
        settings:
          disable: [%s]
`

// TestGolangciLint builds golangci-lint with this plugin the way the README tells users to
// (.custom-gcl.yml, golangci-lint custom; cached across runs, see internal/gclbuild) and runs it
// on testdata/e2e: every analyzer's finding in package bad, nothing in package clean, and a
// disabled analyzer stays quiet.
func TestGolangciLint(t *testing.T) {
	cache, err := gclbuild.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Minute)
	defer cancel()
	var log strings.Builder
	start := time.Now()
	bin, err := gclbuild.Build(ctx, cache, "..", &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Logf("custom golangci-lint ready in %s: %s", time.Since(start).Round(time.Second), bin)
	dir, err := e2e.Dir("..")
	if err != nil {
		t.Fatal(err)
	}
	lintCache := t.TempDir()
	run := func(t *testing.T, disable string, pkgs ...string) (int, string) {
		t.Helper()
		cfg := filepath.Join(t.TempDir(), "golangci.yml")
		if err := os.WriteFile(cfg, []byte(strings.Replace(config, "%s", disable, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := e2e.Run(ctx, dir, []string{"GOLANGCI_LINT_CACHE=" + lintCache}, bin, append([]string{"run", "-c", cfg}, pkgs...)...)
		if err != nil {
			t.Fatalf("%s run: %v\n%s%s", bin, err, r.Stdout, r.Stderr)
		}
		return r.Code, r.Stdout + r.Stderr
	}
	t.Run("findings", func(t *testing.T) {
		code, out := run(t, "", "./...")
		if code != 1 {
			t.Fatalf("exit %d, want 1 (issues found)\n%s", code, out)
		}
		for _, f := range e2e.Findings() {
			// golangci-lint prints file:line:col: linter: message.
			if w := f.Posn + ": " + f.Analyzer + ": " + f.Fragment; !strings.Contains(out, w) {
				t.Errorf("missing %q in\n%s", w, out)
			}
		}
		if strings.Contains(out, "clean/") {
			t.Errorf("finding in package clean:\n%s", out)
		}
		if !strings.Contains(out, "7 issues") {
			t.Errorf("want exactly 7 issues:\n%s", out)
		}
	})
	t.Run("clean", func(t *testing.T) {
		if code, out := run(t, "", "./clean/..."); code != 0 || !strings.Contains(out, "0 issues") {
			t.Fatalf("exit %d, want 0 and no issues\n%s", code, out)
		}
	})
	t.Run("disable", func(t *testing.T) {
		code, out := run(t, "chanloop", "./...")
		if code != 1 || strings.Contains(out, "chanloop:") || !strings.Contains(out, "6 issues") {
			t.Fatalf("exit %d, want 1 with 6 issues and none from chanloop\n%s", code, out)
		}
	})
	t.Run("bad-settings", func(t *testing.T) {
		code, out := run(t, "chanlop", "./...")
		if code == 0 || code == 1 || !strings.Contains(out, `"chanlop"`) {
			t.Fatalf("exit %d, want a configuration error naming chanlop\n%s", code, out)
		}
	})
}

// TestMain fails the package when a test leaves a goroutine behind: golangci-lint runs and the
// build's lock and commands all start some.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
