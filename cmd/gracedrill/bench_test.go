package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
)

// BenchmarkRate5000 runs a 5 s drill at 5,000 req/s against the careful test server on this
// machine and reports the rate actually sent: achieved_req/s, asked_req/s and their ratio
// achieved/asked (1 means the drill kept up; below 0.95 the drill itself fails the run).
//
//	go test -run '^$' -bench Rate5000 -benchtime 1x ./cmd/gracedrill
func BenchmarkRate5000(b *testing.B) {
	const asked = 5000
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		jsonPath := filepath.Join(dir, "report.json")
		url := "http://127.0.0.1:" + benchPort(b)
		args := []string{"run", "--quiet", "--json", jsonPath, "--url", url, "--rate", "5000", "--duration", "5s",
			"--signal-at", "4s", "--req", "19:GET /", "--req", "1:GET /slow?ms=100",
			"--", exe, "testserver", "careful", "--addr", "127.0.0.1:{port}", "--drain", "700ms"}
		var stdout, stderr bytes.Buffer
		b.StartTimer()
		code := run(context.Background(), args, &stdout, &stderr)
		b.StopTimer()
		var r jsonreport.Report
		raw, err := os.ReadFile(jsonPath)
		if err != nil {
			b.Fatalf("exit %d, no report: %v\n%s%s", code, err, stdout.String(), stderr.String())
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
		b.Logf("exit %d\n%s", code, stdout.String())
		b.ReportMetric(r.AchievedRate, "achieved_req/s")
		b.ReportMetric(asked, "asked_req/s")
		b.ReportMetric(r.AchievedRate/asked, "achieved/asked")
		b.ReportMetric(float64(r.Failed), "failed")
		b.StartTimer()
	}
}

func benchPort(b *testing.B) string {
	b.Helper()
	u := freeURLTB(b)
	return u[len("http://127.0.0.1:"):]
}
