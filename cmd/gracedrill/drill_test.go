package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
)

// drillResult is one gracedrill invocation.
type drillResult struct {
	code           int
	stdout, stderr string
	report         jsonreport.Report
}

// gracedrill runs gracedrill in-process (run(...)) with args, adding --json and --quiet.
func gracedrill(t *testing.T, args ...string) drillResult {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	full := append([]string{args[0], "--json", jsonPath, "--quiet"}, args[1:]...)
	var stdout, stderr bytes.Buffer
	res := drillResult{code: run(context.Background(), full, &stdout, &stderr)}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	if b, err := os.ReadFile(jsonPath); err == nil {
		if err := json.Unmarshal(b, &res.report); err != nil {
			t.Fatalf("json report: %v\n%s", err, b)
		}
	}
	t.Logf("gracedrill %s → exit %d\n%s%s", strings.Join(full, " "), res.code, res.stdout, res.stderr)
	return res
}

// gracedrillVouched is gracedrill, repeated (at most 3 times) while the drill says it fell
// behind the asked rate and so cannot vouch for the run: on a machine shared with other work
// the load generator can be starved, and the drill refuses to call that run either way.
func gracedrillVouched(t *testing.T, args ...string) drillResult {
	t.Helper()
	var res drillResult
	for range 3 {
		if res = gracedrill(t, args...); !res.report.Behind {
			return res
		}
		t.Logf("the drill fell behind the asked rate (the machine is busy); running it again")
	}
	return res
}

// testServerCmd is the command line that starts the test binary as a test server of kind.
func testServerCmd(t *testing.T, kind string, extra ...string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"--", exe, "testserver", kind, "--addr", "127.0.0.1:{port}"}, extra...)
}

func freeURL(t *testing.T) string { return freeURLTB(t) }

func freeURLTB(t testing.TB) string {
	t.Helper()
	port, err := process.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// runArgs is a short run drill with a mix of fast and slow requests.
func runArgs(t *testing.T, extra ...string) []string {
	return append([]string{"run", "--url", freeURL(t), "--rate", "200", "--duration", "3s",
		"--signal-at", "1s", "--lb-interval", "200ms", "--req", "9:GET /", "--req", "1:GET /slow?ms=150"}, extra...)
}

// wantLoss fails t unless the drill failed on lost requests, some of them of kind (lost when).
func wantLoss(t *testing.T, res drillResult, kind, when string) {
	t.Helper()
	r := res.report
	if res.code != exitFail || r.Failed == 0 {
		t.Fatalf("exit %d, failed %d: want lost requests (%s) detected", res.code, r.Failed, when)
	}
	if r.FailedByKind[kind] == 0 {
		t.Errorf("failed_by_kind %v: want %s (%s)", r.FailedByKind, kind, when)
	}
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed for this test (Debian package %s; scripts/deps installs it): %v", name, name, err)
	}
}
