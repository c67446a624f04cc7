package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gracekit/grace"
)

// --print-plan writes the plan graceplan --plan reads, starts nothing and writes nothing.
func TestPrintPlan(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var stdout, stderr bytes.Buffer
	env := func(string) (string, bool) { return "", false }
	code := run(context.Background(), []string{"--print-plan", "--data-dir", dir, "--budget", "20s", "--drain-delay", "3s"}, env, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the plan created the data dir (%v)", err)
	}
	var p grace.Plan
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		t.Fatalf("not a plan: %v\n%s", err, stdout.String())
	}
	if p.Budget.String() != "20s" || p.DrainDelay.String() != "3s" {
		t.Errorf("budget %v, drain delay %v", p.Budget, p.DrainDelay)
	}
	wave := map[string]int{}
	for i, w := range p.Stop {
		for _, s := range w {
			wave[s.Name] = i
		}
	}
	// The HTTP server and the consumer stop before the database and the broker close.
	for _, pair := range [][2]string{{"http", "db"}, {"http", "broker"}, {"fulfilment", "db"}, {"fulfilment", "broker"}} {
		a, okA := wave[pair[0]]
		b, okB := wave[pair[1]]
		if !okA || !okB || a >= b {
			t.Errorf("%s stops in wave %d, %s in wave %d: want %s first (waves %v)", pair[0], a, pair[1], b, pair[0], wave)
		}
	}
}
