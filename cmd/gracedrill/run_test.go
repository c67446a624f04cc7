package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestRunNaiveServerLosesRequests(t *testing.T) {
	t.Parallel()
	res := gracedrillVouched(t, append(runArgs(t), testServerCmd(t, "naive")...)...)
	if res.code != exitFail {
		t.Fatalf("exit code %d, want %d", res.code, exitFail)
	}
	r := res.report
	if r.Failed == 0 || r.Verdict != "fail" {
		t.Fatalf("failed %d, verdict %q: want lost requests detected", r.Failed, r.Verdict)
	}
	if r.FailedByKind["refused"]+r.FailedByKind["reset"]+r.FailedByKind["eof"] == 0 {
		t.Errorf("failed_by_kind %v: want refused, reset or eof", r.FailedByKind)
	}
	if r.ExitCode != -1 {
		t.Errorf("exit_code %d, want -1 (killed by SIGTERM)", r.ExitCode)
	}
	if r.SignalToExit == nil || *r.SignalToExit > 1000 {
		t.Errorf("signal_to_exit_ms %v, want a prompt exit", r.SignalToExit)
	}
	if r.Requests != r.OK+r.Failed {
		t.Errorf("requests %d != ok %d + failed %d", r.Requests, r.OK, r.Failed)
	}
}

func TestRunShutdownWithoutDelayLosesRequests(t *testing.T) {
	t.Parallel()
	res := gracedrillVouched(t, append(runArgs(t), testServerCmd(t, "nodelay")...)...)
	wantLoss(t, res, "refused", "between the listener's close and the load balancer noticing")
	r := res.report
	if r.ExitCode != 0 {
		t.Errorf("exit_code %d, want 0", r.ExitCode)
	}
	// The server flips no readiness: the load balancer can only notice the closed listener. Both
	// moments are sampled (the probe and the load race to see the refusal), so the load balancer
	// may be seen first by up to one probe interval (runArgs: 200 ms), never more.
	if r.SignalToClosed == nil || r.SignalToLBOut == nil || *r.SignalToLBOut+200 < *r.SignalToClosed {
		t.Errorf("listener closed at %s ms, lb out at %s ms: want the load balancer out only once the listener closed",
			msString(r.SignalToClosed), msString(r.SignalToLBOut))
	}
}

// A grace app serving through gracehttp, with a drain delay longer than the load balancer needs.
func TestRunGraceServerLosesNothing(t *testing.T) {
	t.Parallel()
	res := gracedrillVouched(t, append(runArgs(t), testServerCmd(t, "grace", "--drain", "1500ms")...)...)
	r := res.report
	if res.code != exitPass || r.Failed != 0 || r.Verdict != "pass" {
		t.Fatalf("exit %d, failed %d (%v), verdict %q: want a clean pass", res.code, r.Failed, r.FailedByKind, r.Verdict)
	}
	if r.InFlightAtSignal == 0 {
		t.Errorf("in_flight_at_signal 0: the mix has slow requests, some must be in flight")
	}
	if r.SignalToNotReady == nil || r.SignalToExit == nil || *r.SignalToExit < 1500 {
		t.Errorf("signal → not ready %v ms, → exit %v ms: want readiness to flip first and the exit after the 1500 ms drain", r.SignalToNotReady, r.SignalToExit)
	}
	if !strings.Contains(res.stdout, "verdict: PASS") {
		t.Errorf("summary lacks the verdict:\n%s", res.stdout)
	}
}

// Without the drill's load balancer, requests keep coming after the listener closed: even a
// careful server loses them, which is what a client without a load balancer sees.
func TestRunIgnoreReadinessKeepsSending(t *testing.T) {
	t.Parallel()
	res := gracedrillVouched(t, append(runArgs(t, "--ignore-readiness"), testServerCmd(t, "careful", "--drain", "300ms")...)...)
	r := res.report
	if res.code != exitFail || r.FailedByKind["refused"] == 0 {
		t.Fatalf("exit %d, failed_by_kind %v: want refused requests after the listener closed", res.code, r.FailedByKind)
	}
	if r.SignalToLBOut != nil {
		t.Errorf("signal_to_lb_not_ready_ms %v: with --ignore-readiness nothing plays the load balancer", *r.SignalToLBOut)
	}
}

func TestServiceDyingBeforeTheSignalFails(t *testing.T) {
	t.Parallel()
	res := gracedrill(t, append(runArgs(t), testServerCmd(t, "careful", "--die-after", "500ms")...)...)
	r := res.report
	if res.code != exitFail || r.ExitCode != 5 || !strings.Contains(strings.Join(r.Reasons, "\n"), "exited before the signal") {
		t.Fatalf("exit %d, exit_code %d, reasons %q", res.code, r.ExitCode, r.Reasons)
	}
}

// The drill started the service: its own report is read from its output (JSON log on stderr),
// with nothing to configure. The service admits lost jobs no client saw fail.
func TestRunReadsTheServicesReportFromItsOutput(t *testing.T) {
	t.Parallel()
	res := gracedrill(t, append(runArgs(t), testServerCmd(t, "admits", "--drain", "1500ms", "--log-json", "-")...)...)
	r := res.report
	if r.Service == nil || r.Service.Source != "service output" || r.Service.Reports != 1 || r.Service.Lost != 7 {
		t.Fatalf("service %+v: want the report from the service's output, 7 lost", r.Service)
	}
	if res.code != exitFail || r.ExitCode != 6 || r.ExitCodeFrom != "process" {
		t.Errorf("exit %d, exit_code %d from %q: want the process's own exit code 6 (lost work)", res.code, r.ExitCode, r.ExitCodeFrom)
	}
	if r.Failed == 0 && (len(r.Disagreements) != 1 || !strings.Contains(r.Disagreements[0], "that no client saw fail")) {
		t.Errorf("disagreements %q", r.Disagreements)
	}
}

func msString[T any](p *T) string {
	if p == nil {
		return "never"
	}
	return fmt.Sprint(*p)
}
