// Package e2e is what gracevet's end-to-end tests share (the command's, run standalone and as
// go vet's tool, and the golangci-lint plugin's): the module under testdata/e2e they check, the
// findings its package bad must produce, and running a tool on it.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// Finding is one diagnostic package bad of the e2e module must produce.
type Finding struct {
	Analyzer string
	Posn     string // file:line:column below the module: "bad/bad.go:18:10"
	Fragment string // a part of the message
}

// Findings lists package bad's one mistake per analyzer, in the order the analyzers are listed.
func Findings() []Finding {
	return []Finding{
		{"ctxtwin", "bad/bad.go:18:10", "(*sql.DB).QueryRow in an HTTP handler ignores the request context"},
		{"bodycopy", "bad/bad.go:21:10", "io.Copy of the request body in an HTTP handler ignores the request context"},
		{"chanloop", "bad/bad.go:29:3", "goroutine ranges over in, which nothing in this package closes"},
		{"servererr", "bad/bad.go:39:13", "the error of (*http.Server).ListenAndServe is treated as fatal"},
		{"exitafter", "bad/bad.go:47:2", "os.Exit outside package main"},
		{"tickerstop", "bad/bad.go:52:7", "ticker t is not stopped on the path that returns at line 57"},
		{"signalstop", "bad/bad.go:65:2", "signal.Notify(ch) is never undone"},
	}
}

// Dir returns the absolute path of the e2e module, given the path of gracevet's module root
// from the test's directory ("." for package main, ".." for gclplugin).
func Dir(root string) (string, error) {
	return filepath.Abs(filepath.Join(root, "testdata", "e2e"))
}

// Result is how a tool run ended: its exit code and what it printed.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs name with args in dir, outside any workspace and with no GOFLAGS from the caller,
// with env added to the environment, until ctx is done. A non-zero exit is a Result; the error
// is for a tool that could not run, or was stopped by ctx (then it matches ctx's error).
func Run(ctx context.Context, dir string, env []string, name string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS="), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, errors.Join(ctx.Err(), err)
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		return r, err
	}
	return r, nil
}
