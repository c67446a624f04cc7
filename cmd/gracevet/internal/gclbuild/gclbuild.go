// Package gclbuild builds, once per golangci-lint version and gracevet source, a golangci-lint
// binary with gracevet's module plugin, the way users do (.custom-gcl.yml and `golangci-lint
// custom`), and caches it. It needs no network access beyond the Go module proxy: the
// golangci-lint source that `custom` clones is taken from the module cache and served to git from
// a local repository (git's url.<base>.insteadOf, set through GIT_CONFIG_* variables, which
// `custom` passes on).
package gclbuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Version is the golangci-lint release the plugin is built into.
const Version = "v2.15.0"

// Module is golangci-lint's module path.
const Module = "github.com/golangci/golangci-lint/v2"

// upstream is the repository `golangci-lint custom` clones.
const upstream = "https://github.com/golangci/golangci-lint.git"

// Binary is the file name of the custom binary.
const Binary = "gcl-gracevet"

// CacheDir returns where builds are kept: $GRACE_GCL_CACHE, else <user cache dir>/grace/gcl-<Version>.
func CacheDir() (string, error) {
	if d := os.Getenv("GRACE_GCL_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("gclbuild: no cache directory (set GRACE_GCL_CACHE): %w", err)
	}
	return filepath.Join(base, "grace", "gcl-"+Version), nil
}

// Build returns the path of a golangci-lint binary with the plugin from moduleDir (the
// cmd/gracevet module) built in, building it when the cache has none for this version and this
// source. Concurrent callers (a prebuild and a test) wait for one another through a lock
// directory; log receives progress lines. It returns when ctx is done, with ctx's error. It
// needs git (golangci-lint custom clones its source) and says so at once, even when the cache
// has the binary, so a machine without git fails the same way with a cache warm or cold.
func Build(ctx context.Context, cache, moduleDir string, log io.Writer) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", fmt.Errorf("gclbuild: git is needed by golangci-lint custom: %w", err)
	}
	key, err := sourceKey(moduleDir)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(cache, "custom-"+key, Binary)
	if isFile(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("gclbuild: %w", err)
	}
	unlock, err := lock(ctx, filepath.Join(cache, "lock"), log)
	if err != nil {
		return "", err
	}
	defer unlock()
	if isFile(bin) { // built while we waited
		return bin, nil
	}
	start := time.Now()
	base, err := baseBinary(ctx, cache, log)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(log, "gclbuild: golangci-lint %s ready after %s\n", Version, time.Since(start).Round(time.Second))
	work, err := os.MkdirTemp(cache, "custom-tmp-")
	if err != nil {
		return "", fmt.Errorf("gclbuild: %w", err)
	}
	defer os.RemoveAll(work)
	abs, err := filepath.Abs(moduleDir)
	if err != nil {
		return "", fmt.Errorf("gclbuild: %w", err)
	}
	cfg := fmt.Sprintf(`version: %s
name: %s
destination: %s
plugins:
  - module: github.com/gracekit/grace/cmd/gracevet
    import: github.com/gracekit/grace/cmd/gracevet/gclplugin
    path: %s
`, Version, Binary, filepath.Join(work, "out"), strconv.Quote(abs))
	if err := os.WriteFile(filepath.Join(work, ".custom-gcl.yml"), []byte(cfg), 0o644); err != nil {
		return "", fmt.Errorf("gclbuild: %w", err)
	}
	repo := "file://" + filepath.ToSlash(filepath.Join(cache, "src"))
	cmd := exec.CommandContext(ctx, base, "custom", "-v")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=url."+repo+".insteadOf", "GIT_CONFIG_VALUE_0="+upstream)
	cmd.Stdout, cmd.Stderr = log, log
	fmt.Fprintf(log, "gclbuild: golangci-lint custom (plugin source %s)\n", key)
	t := time.Now()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gclbuild: golangci-lint custom: %w", err)
	}
	fmt.Fprintf(log, "gclbuild: custom binary built in %s\n", time.Since(t).Round(time.Second))
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("gclbuild: %w", err)
	}
	if err := os.Rename(filepath.Join(work, "out", Binary), bin); err != nil {
		return "", fmt.Errorf("gclbuild: %w", err)
	}
	prune(cache, filepath.Dir(bin))
	return bin, nil
}

// baseBinary returns the plain golangci-lint binary, building it from the module source (and
// making that source a local git repository tagged Version) on first use.
func baseBinary(ctx context.Context, cache string, log io.Writer) (string, error) {
	bin := filepath.Join(cache, "bin", "golangci-lint")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	src := filepath.Join(cache, "src")
	if !isFile(filepath.Join(src, ".git", "HEAD")) {
		if err := makeRepo(ctx, src, log); err != nil {
			return "", err
		}
	}
	if isFile(bin) {
		return bin, nil
	}
	fmt.Fprintf(log, "gclbuild: building golangci-lint %s\n", Version)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/golangci-lint")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gclbuild: build golangci-lint %s: %w", Version, err)
	}
	return bin, nil
}

// makeRepo copies golangci-lint's module source out of the module cache into dir as a git
// repository with one commit tagged Version.
func makeRepo(ctx context.Context, dir string, log io.Writer) error {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", Module+"@"+Version).Output()
	if err != nil {
		return fmt.Errorf("gclbuild: go mod download %s@%s: %w", Module, Version, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return fmt.Errorf("gclbuild: go mod download %s@%s: %s %v", Module, Version, m.Error, err)
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("gclbuild: %w", err)
	}
	if err := copyTree(m.Dir, tmp); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=gclbuild", "-c", "user.email=gclbuild@localhost", "commit", "-q", "-m", Version},
		{"tag", Version},
	} {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = tmp
		cmd.Stderr = log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("gclbuild: git %s: %w", strings.Join(args, " "), err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("gclbuild: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("gclbuild: %w", err)
	}
	return nil
}

// copyTree copies the regular files under from to to, writable (the module cache is read-only).
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// sourceKey hashes the plugin module's Go files, go.mod and go.sum (testdata excluded), so a
// change to any analyzer builds a new binary.
func sourceKey(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("gclbuild: hash plugin source: %w", err)
	}
	sort.Strings(files)
	h := sha256.New()
	fmt.Fprintln(h, Version)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("gclbuild: hash plugin source: %w", err)
		}
		rel, _ := filepath.Rel(dir, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// lock takes the lock directory path, waiting while another live process holds it.
func lock(ctx context.Context, path string, log io.Writer) (func(), error) {
	said := false
	for {
		err := os.Mkdir(path, 0o755)
		if err == nil {
			_ = os.WriteFile(filepath.Join(path, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
			return func() { os.RemoveAll(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("gclbuild: lock: %w", err)
		}
		if stale(path) {
			os.RemoveAll(path)
			continue
		}
		if !said {
			fmt.Fprintf(log, "gclbuild: waiting for the build in progress (%s)\n", path)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gclbuild: waiting for the build in progress: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// stale reports whether the lock's holder is gone: its pid file names no live process, or the
// lock is older than any build takes.
func stale(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	if time.Since(info.ModTime()) > time.Hour {
		return true
	}
	b, err := os.ReadFile(filepath.Join(path, "pid"))
	if err != nil {
		return time.Since(info.ModTime()) > time.Minute // the holder had no time to write it, or died
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return true
	}
	return !alive(pid)
}

// prune removes other cached custom binaries (older gracevet sources).
func prune(cache, keep string) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(cache, e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), "custom-") && p != keep && !strings.HasPrefix(e.Name(), "custom-tmp-") {
			os.RemoveAll(p)
		}
	}
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
