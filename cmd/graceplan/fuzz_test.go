package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseManifest feeds arbitrary YAML to the manifest parser: it must return workloads or an
// error, never panic or hang, and what it returns must be sane.
func FuzzParseManifest(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	seeds = append(seeds, example)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add("kind: Pod\nspec: {containers: [{name: a, lifecycle: {preStop: {exec: {command: [sh, -c, 'sleep 1d']}}}}]}")
	f.Add("kind: List\nitems: [{kind: List, items: []}]")
	f.Add("a: &a [*a, *a]")
	f.Add("---\n---\n...\n")
	f.Fuzz(func(t *testing.T, doc string) {
		ws, err := parseManifest(strings.NewReader(doc))
		if err != nil {
			if ws != nil {
				t.Fatalf("workloads %v with error %v", ws, err)
			}
			return
		}
		for _, w := range ws {
			if w.GracePeriod < 0 || len(w.Containers) == 0 {
				t.Fatalf("bad workload %+v", w)
			}
			for _, c := range w.Containers {
				if c.PreStop.Duration < 0 || c.PreStop.Duration > (1<<31)*time.Second {
					t.Fatalf("bad preStop %+v", c.PreStop)
				}
			}
		}
	})
}
