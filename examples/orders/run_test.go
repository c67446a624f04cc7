package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad configuration is reported, clearly and all at once, before anything starts: exit 2.
func TestBadConfigurationExits2(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"bad duration flag", []string{"--budget", "ten"}, nil, []string{"budget", `not a duration`}},
		{"bad duration env", nil, map[string]string{"ORDERS_DRAIN_DELAY": "5"}, []string{"ORDERS_DRAIN_DELAY", "not a duration"}},
		{"negative drain", []string{"--drain-delay", "-1s"}, nil, []string{"drain-delay must not be negative"}},
		{"drain over budget", []string{"--drain-delay", "30s"}, nil, []string{"drain-delay (30s) must be less than the budget (25s)"}},
		{"timeout over budget", []string{"--budget", "5s", "--http-timeout", "6s"}, nil, []string{"http-timeout (6s) must not exceed the budget (5s)"}},
		{"bad port", []string{"--addr", "127.0.0.1:99999"}, nil, []string{"addr", "0 to 65535"}},
		{"no port", []string{"--addr", "localhost"}, nil, []string{"addr", "host:port"}},
		{"data dir is a file", []string{"--data-dir", file}, nil, []string{"is not a directory"}},
		{"data dir parent missing", []string{"--data-dir", "/nonexistent/x/y"}, nil, []string{"cannot be created"}},
		{"bad dsn", []string{"--pg-dsn", "postgres://u:secret@host:notaport/db"}, nil, []string{"pg-dsn is not a valid PostgreSQL connection string"}},
		{"bad broker", []string{"--kafka-brokers", "a:1,b"}, nil, []string{`kafka broker "b"`}},
		{"bad upload size", []string{"--max-upload", "-5"}, nil, []string{"max-upload must be a positive number"}},
		{"bad log format", []string{"--log-format", "xml"}, nil, []string{"log-format must be text or json"}},
		{"unknown flag", []string{"--nope"}, nil, []string{"flag provided but not defined: -nope"}},
		{"stray argument", []string{"serve"}, nil, []string{"unexpected arguments"}},
		{"two problems", []string{"--budget", "0s", "--expire-every", "0s"}, nil, []string{"budget must be positive", "expire-every must be positive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, env, &stdout, &stderr)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, ExitUsage, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not say %q", stderr.String(), w)
				}
			}
			if strings.Contains(stderr.String(), "secret") {
				t.Errorf("the error repeats the DSN's password: %q", stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("something started: stdout %q", stdout.String())
			}
		})
	}
}

func TestHelpExits0(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, func(string) (string, bool) { return "", false }, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), "ORDERS_PG_DSN") {
		t.Errorf("help does not mention the environment: %s", stderr.String())
	}
}
