//go:build unix

package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/junit"
)

// service is a test server started by the test, not by the drill: the drill only gets its URL
// and how to stop it.
type service struct {
	url, log, pidfile string
	pid               int
	exited            chan struct{}
}

// startService starts the test binary as a test server of kind in its own process and waits
// until it is ready. Its JSON log goes to svc.log. It is killed when the test ends.
func startService(t *testing.T, kind string, extra ...string) *service {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svc := &service{url: freeURL(t), log: filepath.Join(dir, "service.log"), pidfile: filepath.Join(dir, "service.pid"), exited: make(chan struct{})}
	args := append([]string{"testserver", kind, "--addr", strings.TrimPrefix(svc.url, "http://"), "--log-json", svc.log, "--pidfile", svc.pidfile}, extra...)
	cmd := exec.Command(exe, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	svc.pid = cmd.Process.Pid
	go func() { _ = cmd.Wait(); close(svc.exited) }() // reap at once, so the drill sees it gone
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-svc.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("test server %d not reaped", svc.pid)
		}
		if t.Failed() {
			t.Logf("test server output:\n%s", out.String())
		}
	})
	waitReady(t, svc.url+"/readyz", svc.exited)
	return svc
}

// waitReady polls url until it answers 200, at most 20 s.
func waitReady(t *testing.T, url string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("the service exited before it was ready at %s", url)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 20s", url)
		}
	}
}

// externalArgs is a short run drill against a running service at url.
func externalArgs(url string, extra ...string) []string {
	return append([]string{"run", "--url", url, "--rate", "200", "--duration", "3s", "--signal-at", "1s",
		"--lb-interval", "200ms", "--req", "9:GET /", "--req", "1:GET /slow?ms=150"}, extra...)
}

// vouchedExternal runs drill against a fresh service until the drill vouches for the run (at
// most 3 times; see gracedrillVouched).
func vouchedExternal(t *testing.T, drill func() drillResult) drillResult {
	t.Helper()
	var res drillResult
	for range 3 {
		if res = drill(); !res.report.Behind {
			return res
		}
		t.Logf("the drill fell behind the asked rate (the machine is busy); running it again")
	}
	return res
}

// readJUnit parses a JUnit file the way a CI consumer does.
func readJUnit(t *testing.T, path string) junit.Suites {
	t.Helper()
	doc, err := junit.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Tests != len(doc.Suites[0].Cases) {
		t.Fatalf("junit: want one suite counting its cases: %+v", doc)
	}
	return doc
}

// failedCases returns the names of failed test cases.
func failedCases(doc junit.Suites) []string {
	var out []string
	for _, c := range doc.Suites[0].Cases {
		if c.Failure != nil {
			out = append(out, c.Name)
		}
	}
	return out
}

func TestExternalPIDGraceServerPassesWithItsOwnReport(t *testing.T) {
	t.Parallel()
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	var svc *service
	res := vouchedExternal(t, func() drillResult {
		svc = startService(t, "grace", "--drain", "1500ms")
		return gracedrill(t, externalArgs(svc.url, "--pid", strconv.Itoa(svc.pid), "--service-report", svc.log, "--junit", junitPath)...)
	})
	r := res.report
	if res.code != exitPass || r.Failed != 0 || r.Verdict != "pass" {
		t.Fatalf("exit %d, failed %d (%v), reasons %q: want a clean pass", res.code, r.Failed, r.FailedByKind, r.Reasons)
	}
	select {
	case <-svc.exited:
	default:
		t.Fatal("the drill passed but the service it signalled still runs")
	}
	if r.Service == nil || r.Service.Reports != 1 || r.Service.ExitCode == nil || *r.Service.ExitCode != 0 || r.Service.Lost != 0 {
		t.Fatalf("service report %+v: want the grace app's own report, exit 0, nothing lost", r.Service)
	}
	if r.ExitCodeFrom != "service report" || r.ExitCode != 0 || len(r.Disagreements) != 0 {
		t.Errorf("exit_code %d from %q, disagreements %q", r.ExitCode, r.ExitCodeFrom, r.Disagreements)
	}
	if r.SignalToNotReady == nil || r.SignalToExit == nil || *r.SignalToExit < 1500 {
		t.Errorf("signal → not ready %v ms, → exit %v ms: want the exit seen after the 1500 ms drain", r.SignalToNotReady, r.SignalToExit)
	}
	if !strings.Contains(res.stdout, "gracedrill-result verdict=pass requests=") || !strings.Contains(res.stdout, "service_lost=0") {
		t.Errorf("no one-line result in:\n%s", res.stdout)
	}
	doc := readJUnit(t, junitPath)
	if doc.Failures != 0 || len(failedCases(doc)) != 0 {
		t.Errorf("junit failures %d %q on a passing drill", doc.Failures, failedCases(doc))
	}
	names := map[string]bool{}
	for _, c := range doc.Suites[0].Cases {
		names[c.Name] = c.Skipped == nil
	}
	for _, want := range []string{"no request failed", "exit code", "budget", "the service lost nothing"} {
		if !names[want] {
			t.Errorf("junit has no judged test case %q: %v", want, names)
		}
	}
}

// Clients see requests refused after the listener closed; grace's report rightly counts no
// lost work (it never saw them): the drill shows both and flags the difference.
func TestExternalClientsSeeFailuresTheServiceDoesNotReport(t *testing.T) {
	t.Parallel()
	svc := startService(t, "grace", "--drain", "300ms")
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	res := gracedrill(t, externalArgs(svc.url, "--pid-file", svc.pidfile, "--ignore-readiness", "--service-report", svc.log, "--junit", junitPath)...)
	r := res.report
	if res.code != exitFail || r.FailedByKind["refused"] == 0 {
		t.Fatalf("exit %d, failed_by_kind %v: want refused requests after the listener closed", res.code, r.FailedByKind)
	}
	if r.Service == nil || r.Service.Lost != 0 || r.Service.Reports != 1 {
		t.Fatalf("service %+v: want its report, nothing lost", r.Service)
	}
	if len(r.Disagreements) != 1 || !strings.Contains(r.Disagreements[0], "the service reports nothing lost") {
		t.Fatalf("disagreements %q: want the clients' failures flagged", r.Disagreements)
	}
	if !strings.Contains(res.stdout, "clients and service disagree") {
		t.Errorf("summary does not flag the disagreement:\n%s", res.stdout)
	}
	if got := failedCases(readJUnit(t, junitPath)); len(got) != 1 || got[0] != "no request failed" {
		t.Errorf("failed junit cases %q, want exactly \"no request failed\"", got)
	}
}

// A service whose own report admits lost work that every client saw succeed.
func TestExternalServiceAdmittingLossIsFlagged(t *testing.T) {
	t.Parallel()
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	res := vouchedExternal(t, func() drillResult {
		svc := startService(t, "admits", "--drain", "1500ms")
		return gracedrill(t, externalArgs(svc.url, "--pid", strconv.Itoa(svc.pid), "--service-report", svc.log, "--junit", junitPath)...)
	})
	r := res.report
	if r.Failed != 0 {
		t.Fatalf("failed %d (%v): the load balancer took the service out in time, no client should fail", r.Failed, r.FailedByKind)
	}
	if res.code != exitFail || r.Verdict != "fail" || r.Service == nil || r.Service.Lost != 7 || r.ExitCode != 6 {
		t.Fatalf("exit %d, verdict %q, service %+v, exit_code %d: want a fail on the service's own 7 lost jobs", res.code, r.Verdict, r.Service, r.ExitCode)
	}
	if len(r.Disagreements) != 1 || !strings.Contains(r.Disagreements[0], "the service reports 7 lost (jobs: 7 jobs) that no client saw fail") {
		t.Fatalf("disagreements %q", r.Disagreements)
	}
	got := strings.Join(failedCases(readJUnit(t, junitPath)), ",")
	if got != "exit code,the service lost nothing" {
		t.Errorf("failed junit cases %q, want the exit code and the service's loss", got)
	}
	if !strings.Contains(res.stdout, "service lost      7 (jobs: 7 jobs)") {
		t.Errorf("summary:\n%s", res.stdout)
	}
}

func TestTriggerThatFailsIsReported(t *testing.T) {
	t.Parallel()
	svc := startService(t, "careful")
	res := gracedrill(t, externalArgs(svc.url, "--duration", "2s", "--trigger", "echo trigger-broke >&2; exit 3")...)
	r := res.report
	reasons := strings.Join(r.Reasons, "\n")
	if res.code != exitFail || !strings.Contains(reasons, "the trigger command failed (exit status 3)") || !strings.Contains(reasons, "trigger-broke") {
		t.Fatalf("exit %d, reasons %q", res.code, r.Reasons)
	}
	if len(r.Stops) != 1 || r.Stops[0].TriggerCode == nil || *r.Stops[0].TriggerCode != 3 || r.Failed != 0 {
		t.Errorf("stops %+v, failed %d", r.Stops, r.Failed)
	}
}

func TestTriggerThatHangsIsBounded(t *testing.T) {
	t.Parallel()
	svc := startService(t, "careful")
	pidfile := filepath.Join(t.TempDir(), "trigger.pid")
	start := time.Now()
	res := gracedrill(t, externalArgs(svc.url, "--duration", "1500ms", "--signal-at", "500ms", "--budget", "1s",
		"--trigger", "echo $$ > "+pidfile+"; exec sleep 60")...)
	took := time.Since(start)
	r := res.report
	if res.code != exitFail || !strings.Contains(strings.Join(r.Reasons, "\n"), "did not return within the 1s budget; the drill killed it") {
		t.Fatalf("exit %d, reasons %q", res.code, r.Reasons)
	}
	if took > 15*time.Second {
		t.Errorf("the drill took %v: the hanging trigger was not bounded", took)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) == nil {
		t.Errorf("the trigger's process %d still runs", pid)
	}
}
