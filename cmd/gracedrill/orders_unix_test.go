//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildOrders builds examples/orders, the reference service, into dir.
func buildOrders(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "orders")
	// A cold build (SQLite and NATS compiled from source) takes minutes on a busy 2-core machine;
	// bound it well inside go test's 10-minute limit.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "examples", "orders")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/orders: %v\n%s", err, out)
	}
	return bin
}

// The orders service runs under a process manager (testdata/supervise.sh, restart-on-exit like
// systemd); the drill knows only its URL, the command that restarts it and the log it writes,
// as against a real deployment. The trigger restarts it twice, as a platform's rollout would
// replace instances the drill does not count: both stopped instances' reports are read. A
// stop-then-start restart of a single instance leaves a gap in which nothing listens: clients
// see it, the service's own reports (clean, nothing lost) do not, and the drill says so.
func TestTriggerRestartsOrdersUnderAProcessManager(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildOrders(t, dir)
	url := freeURL(t)
	manager := exec.Command("sh", "testdata/supervise.sh", "run", dir, bin,
		"--addr", strings.TrimPrefix(url, "http://"), "--data-dir", filepath.Join(dir, "data"),
		"--log-format", "json", "--drain-delay", "300ms", "--quiet-period", "0s")
	if err := manager.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = manager.Wait(); close(exited) }()
	defer func() {
		_ = manager.Process.Signal(syscall.SIGTERM) // the manager stops its service, then itself
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = manager.Process.Kill()
			t.Error("the process manager did not stop within 30s")
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "service.log"))
			t.Logf("service log:\n%.6000s", b)
		}
	}()
	waitReady(t, url+"/readyz", exited)

	junitPath := filepath.Join(dir, "junit.xml")
	order := `{"customer":"drill","items":[{"sku":"sku-1","quantity":1,"price_cents":100}]}`
	res := gracedrill(t, "run", "--url", url, "--ready", "/readyz", "--rate", "100", "--duration", "5s", "--signal-at", "1s",
		"--req", "3:POST /orders "+order, "--req", "1:GET /orders?limit=5",
		"--trigger", "sh testdata/supervise.sh restart "+dir+" 'grace: ready' && sh testdata/supervise.sh restart "+dir+" 'grace: ready'",
		"--service-report", filepath.Join(dir, "service.log"), "--junit", junitPath)
	r := res.report
	if len(r.Stops) != 1 || r.Stops[0].TriggerCode == nil || *r.Stops[0].TriggerCode != 0 {
		t.Fatalf("stops %+v: want the trigger to have run and returned 0", r.Stops)
	}
	if r.Service == nil || r.Service.Error != "" || r.Service.Reports != 2 || r.Service.ExitCode == nil || *r.Service.ExitCode != 0 {
		t.Fatalf("service %+v: want both stopped instances' own reports, exit 0", r.Service)
	}
	if r.ExitCodeFrom != "service report" {
		t.Errorf("exit_code_from %q", r.ExitCodeFrom)
	}
	doc := readJUnit(t, junitPath)
	var cases []string
	for _, c := range failedCases(doc) {
		if c == "the drill vouches for the run" && r.Behind && len(r.Checks[0].Reasons) == 1 {
			t.Logf("the drill fell behind the asked rate (the machine is busy): it does not vouch for the run")
			continue
		}
		cases = append(cases, c)
	}
	failed := strings.Join(cases, ",")
	resultLine := "gracedrill-result verdict=" + r.Verdict + " "
	if !strings.Contains(res.stdout, resultLine) {
		t.Errorf("no %q line in:\n%s", resultLine, res.stdout)
	}
	if r.Failed == 0 { // the restart was quicker than the requests: a pass, and nothing to flag
		if (res.code != exitPass && !r.Behind) || failed != "" || len(r.Disagreements) != 0 {
			t.Fatalf("nothing failed, yet exit %d, failed cases %q, disagreements %q", res.code, failed, r.Disagreements)
		}
		return
	}
	if res.code != exitFail || r.Verdict != "fail" || failed != "no request failed" {
		t.Errorf("%d requests failed: exit %d, verdict %q, failed junit cases %q; want only \"no request failed\" to fail", r.Failed, res.code, r.Verdict, failed)
	}
	if r.Service.Lost != 0 || len(r.Disagreements) != 1 || !strings.Contains(r.Disagreements[0], "the service reports nothing lost") {
		t.Errorf("service lost %d, disagreements %q: want the clients' failures flagged against the clean report", r.Service.Lost, r.Disagreements)
	}
	var notReady, readyAgain bool
	for _, e := range r.Timeline.Events {
		notReady = notReady || e.Name == "not ready"
		readyAgain = readyAgain || (notReady && e.Name == "ready again")
	}
	if !notReady || !readyAgain {
		t.Errorf("events %+v: want readiness seen going and coming back", r.Timeline.Events)
	}
}
