package summary_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

const ms = time.Millisecond

func sample() summary.Input {
	reqs := []record.Request{
		{Start: 0, Latency: 10 * ms, Status: 200},
		{Start: 100 * ms, Latency: 300 * ms, Status: 200}, // in flight at the signal
		{Start: 150 * ms, Latency: 100 * ms, Status: 200}, // in flight at the signal
		{Start: 300 * ms, Latency: ms, Kind: record.Refused},
		{Start: 310 * ms, Latency: ms, Status: 503, Kind: record.Status5xx},
	}
	events := []record.Event{
		{Name: record.Ready, At: 0},
		{Name: record.Signal, At: 200 * ms},
		{Name: record.NotReady, At: 210 * ms},
		{Name: record.ListenerClosed, At: 250 * ms},
		{Name: record.LBNotReady, At: 320 * ms},
		{Name: record.Exit, At: 400 * ms, Code: 0},
	}
	return summary.Input{Mode: "run", AskedRate: 10, AchievedRate: 10, Budget: time.Second, Requests: reqs, Events: events}
}

func TestBuildCountsPhasesAndVerdict(t *testing.T) {
	s := summary.Build(sample())
	if s.Requests != 5 || s.OK != 3 || s.Failed != 2 || s.FailedByKind["refused"] != 1 || s.FailedByKind["5xx"] != 1 || s.FailedByKind["eof"] != 0 {
		t.Fatalf("counts: %+v", s)
	}
	st, ok := s.First()
	if !ok || s.InFlightAtSignal != 2 || *st.SignalToNotReady != 10*ms || *st.SignalToListenerClosed != 50*ms ||
		*st.SignalToLBNotReady != 120*ms || *st.SignalToExit != 200*ms || *st.ExitCode != 0 {
		t.Fatalf("stop: %+v", st)
	}
	if s.Verdict != summary.Fail || !strings.Contains(strings.Join(s.Reasons, ";"), "2 of 5 requests failed") {
		t.Fatalf("verdict %q, reasons %q", s.Verdict, s.Reasons)
	}
	var b strings.Builder
	if err := summary.WriteText(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"failed            2 (refused 1, 5xx 1)", "signal → exit              200ms", "verdict: FAIL"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

func TestVerdictReasons(t *testing.T) {
	in := sample()
	in.Requests = in.Requests[:3] // no failures
	if s := summary.Build(in); s.Verdict != summary.Pass || len(s.Reasons) != 0 {
		t.Fatalf("clean run: verdict %q, reasons %q", s.Verdict, s.Reasons)
	}
	for name, mod := range map[string]func(*summary.Input){
		"behind":      func(in *summary.Input) { in.Behind = true; in.AchievedRate = 5 },
		"exit code":   func(in *summary.Input) { in.Events[5].Code = 2 },
		"over budget": func(in *summary.Input) { in.Budget = 100 * ms },
		"no exit":     func(in *summary.Input) { in.Events = in.Events[:5] },
		"killed": func(in *summary.Input) {
			in.Events = append(in.Events, record.Event{Name: record.Killed, At: 390 * ms})
		},
		"problem": func(in *summary.Input) { in.Problems = []string{"restart 1: boom"} },
	} {
		in := sample()
		in.Requests = in.Requests[:3]
		in.Events = append([]record.Event(nil), in.Events...)
		mod(&in)
		if s := summary.Build(in); s.Verdict != summary.Fail || len(s.Reasons) == 0 {
			t.Errorf("%s: verdict %q, want fail", name, s.Verdict)
		}
	}
}

func TestTimeline(t *testing.T) {
	width, buckets := summary.Timeline(sample().Requests, 400*ms)
	if width != 50*ms || len(buckets) != 9 {
		t.Fatalf("width %v, %d buckets", width, len(buckets))
	}
	if buckets[0].Sent != 20 || buckets[6].Failed != 40 || buckets[6].FailedByKind["refused"] != 1 {
		t.Fatalf("buckets %+v", buckets)
	}
	if buckets[3].InFlight != 2 { // at 200ms: the 100ms and 150ms requests
		t.Fatalf("in flight at 200ms: %d", buckets[3].InFlight)
	}
	if summary.BucketSize(time.Hour)*summary.MaxBuckets < time.Hour {
		t.Fatal("an hour does not fit in MaxBuckets")
	}
}

func TestExitWithoutSignalIsTheExitCode(t *testing.T) {
	in := sample()
	in.Events = []record.Event{{Name: record.Ready}, {Name: record.Exit, At: 100 * ms, Code: 3}}
	in.Problems = []string{"the service exited before the signal"}
	if s := summary.Build(in); s.ExitCode() != 3 || s.Verdict != summary.Fail {
		t.Fatalf("exit code %d, verdict %q", s.ExitCode(), s.Verdict)
	}
}

func TestMaxFailedToleratesAFewFailures(t *testing.T) {
	reqs := []record.Request{{Status: 200}, {Kind: record.Refused}, {Kind: record.Reset}}
	for _, tc := range []struct {
		max  int
		want string
	}{{0, summary.Fail}, {1, summary.Fail}, {2, summary.Pass}} {
		s := summary.Build(summary.Input{Mode: "run", AskedRate: 1, AchievedRate: 1, Budget: time.Second, MaxFailed: tc.max, Requests: reqs})
		if s.Verdict != tc.want {
			t.Errorf("--max-failed %d: verdict %s, want %s (reasons %q)", tc.max, s.Verdict, tc.want, s.Reasons)
		}
	}
}

func TestServiceReportDisagreements(t *testing.T) {
	zero, six := 0, 6
	ok := []record.Request{{Status: 200}}
	lossy := []record.Request{{Status: 200}, {Kind: record.Refused}}
	for _, tc := range []struct {
		name    string
		reqs    []record.Request
		service *summary.Service
		want    string
		verdict string
	}{
		{"agree clean", ok, &summary.Service{ExitCode: &zero}, "", summary.Pass},
		{"clients saw more", lossy, &summary.Service{ExitCode: &zero}, "clients saw 1 failed requests (refused 1); the service reports nothing lost", summary.Fail},
		{"service admits more", ok, &summary.Service{ExitCode: &six, Lost: 3}, "the service reports 3 lost that no client saw fail", summary.Fail},
		{"no report", ok, &summary.Service{Err: "not found"}, "", summary.Fail},
	} {
		s := summary.Build(summary.Input{Mode: "run", AskedRate: 1, AchievedRate: 1, Budget: time.Second, Requests: tc.reqs, Service: tc.service})
		got := strings.Join(s.Disagreements, "\n")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) || s.Verdict != tc.verdict {
			t.Errorf("%s: disagreements %q, verdict %s; want %q, %s", tc.name, got, s.Verdict, tc.want, tc.verdict)
		}
	}
}
