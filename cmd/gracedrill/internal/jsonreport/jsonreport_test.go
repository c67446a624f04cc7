package jsonreport_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// The field names are a contract scripts rely on.
func TestReportHasTheContractFields(t *testing.T) {
	s := summary.Build(summary.Input{Mode: "run", AskedRate: 1, AchievedRate: 1, Budget: time.Second,
		Requests: []record.Request{{Latency: time.Millisecond, Status: 200}, {Kind: record.EOF}},
		Events:   []record.Event{{Name: record.Signal, At: time.Second}, {Name: record.Exit, At: 1500 * time.Millisecond, Code: 3}}})
	path := filepath.Join(t.TempDir(), "r.json")
	if err := jsonreport.Write(path, s, nil, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"requests": 2.0, "ok": 1.0, "failed": 1.0, "exit_code": 3.0, "signal_to_exit_ms": 500.0, "verdict": "fail"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if kinds, ok := m["failed_by_kind"].(map[string]any); !ok || kinds["eof"] != 1.0 || kinds["refused"] != 0.0 {
		t.Errorf("failed_by_kind = %v", m["failed_by_kind"])
	}
}
