package servicereport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/cmd/gracedrill/internal/servicereport"
)

// lossy is a component whose stop leaves accepted jobs undone and says so.
type lossy struct{ lost, back int64 }

func (l lossy) Stop(context.Context) error { return nil }
func (l lossy) Account() grace.Account {
	return grace.Account{Unit: "jobs", Lost: l.lost, HandedBack: l.back}
}

// stoppedReport runs a real grace app with the components and stops it, returning its report.
func stoppedReport(t *testing.T, components ...any) *grace.Report {
	t.Helper()
	app := grace.New(grace.WithSignals())
	app.Add("http", grace.Hook{})
	for i, c := range components {
		app.Add(fmt.Sprintf("queue%d", i+1), c)
	}
	done := make(chan struct{})
	var rep *grace.Report
	go func() {
		defer close(done)
		rep, _ = app.Run(t.Context())
	}()
	select {
	case <-app.Await(grace.PhaseReady):
	case <-time.After(10 * time.Second):
		t.Fatal("app not ready in 10s")
	}
	app.Stop("drill test")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("app did not stop in 10s")
	}
	return rep
}

// The report as App.Main logs it through a JSON slog handler, among other log lines.
func TestParseReadsTheReportAppMainLogs(t *testing.T) {
	rep := stoppedReport(t)
	var buf bytes.Buffer
	buf.WriteString("plain text line\n{\"msg\":\"unrelated\",\"report\":1}\n")
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("grace: shutdown report", "report", rep)
	rs := servicereport.Parse(buf.Bytes())
	if len(rs) != 1 {
		t.Fatalf("found %d reports in\n%s", len(rs), buf.String())
	}
	if rs[0].ExitCode == nil || *rs[0].ExitCode != 0 || rs[0].Lost != 0 || rs[0].Trigger == "" || rs[0].Stop <= 0 {
		t.Fatalf("parsed %+v from\n%s", rs[0], buf.String())
	}
}

// A real app that lost work: the counts, in both of the report's forms.
func TestParseReadsARealLoss(t *testing.T) {
	rep := stoppedReport(t, lossy{lost: 3, back: 2}, lossy{lost: 4})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Error("grace: shutdown report", "report", rep)
	doc, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for form, b := range map[string][]byte{"slog": buf.Bytes(), "json": doc} {
		rs := servicereport.Parse(b)
		if len(rs) != 1 {
			t.Fatalf("%s: %d reports in %s", form, len(rs), b)
		}
		r := rs[0]
		want := []servicereport.Component{{Name: "queue1", State: "stopped", Unit: "jobs", Lost: 3, HandedBack: 2},
			{Name: "queue2", State: "stopped", Unit: "jobs", Lost: 4}}
		if r.Lost != 7 || r.HandedBack != 2 || *r.ExitCode != grace.ExitLost || len(r.Components) != 2 ||
			r.Components[0] != want[0] || r.Components[1] != want[1] {
			t.Errorf("%s: parsed %+v from %s", form, r, b)
		}
	}
}

// The report written with encoding/json (a report file).
func TestParseReadsTheReportAsJSON(t *testing.T) {
	rep := stoppedReport(t)
	rep.ExitCode = 4
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	rs := servicereport.Parse(b)
	if len(rs) != 1 || rs[0].ExitCode == nil || *rs[0].ExitCode != 4 || rs[0].Stop != rep.StopDuration {
		t.Fatalf("parsed %+v from %s", rs, b)
	}
}

// Loss fields, in both shapes: components as an array (encoding/json) and as groups (slog).
func TestParseReadsLossCounts(t *testing.T) {
	log := `{"time":"x","level":"ERROR","msg":"grace: shutdown report","report":{"trigger":"signal terminated","exit_code":6,"stop":1500000000,"lost":7,"handed_back":2,"http":{"state":"stopped","lost":3,"unit":"requests"},"queue":{"state":"stopped","lost":4,"handed_back":2,"unit":"jobs"},"db":{"state":"stopped"}}}
{"msg":"grace: shutdown report","report":{"exit_code":0,"http":{"state":"stopped","lost":1,"unit":"requests"}}}
`
	rs := servicereport.Parse([]byte(log))
	if len(rs) != 2 {
		t.Fatalf("found %d reports", len(rs))
	}
	r := rs[0]
	if *r.ExitCode != 6 || r.Lost != 7 || r.HandedBack != 2 || r.Stop != 1500*time.Millisecond || len(r.Components) != 2 ||
		r.Components[0] != (servicereport.Component{Name: "http", State: "stopped", Unit: "requests", Lost: 3}) {
		t.Fatalf("first report %+v", r)
	}
	if rs[1].Lost != 1 { // no top-level total: the components' sum
		t.Fatalf("second report %+v: want lost summed from components", rs[1])
	}
	sum := servicereport.Sum(rs)
	if sum.Lost != 8 || *sum.ExitCode != 6 || len(sum.Components) != 3 {
		t.Fatalf("sum %+v", sum)
	}
	doc := `{"trigger":{"kind":"signal","signal":"terminated"},"exit_code":6,"stop_ns":20,"lost":5,"components":[{"name":"w","state":"abandoned","lost":5,"unit":"values"}]}`
	rs = servicereport.Parse([]byte(doc))
	if len(rs) != 1 || rs[0].Lost != 5 || rs[0].Trigger != "signal terminated" || rs[0].Components[0].Unit != "values" {
		t.Fatalf("document: %+v", rs)
	}
}

func TestCatcherKeepsReportLinesAcrossWrites(t *testing.T) {
	var c servicereport.Catcher
	line := `{"msg":"grace: shutdown report","report":{"exit_code":0,"lost":2}}`
	for _, part := range []string{"noise\n" + line[:10], line[10:40], line[40:] + "\nmore noise\n"} {
		if _, err := c.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	rs := c.Reports()
	if len(rs) != 1 || rs[0].Lost != 2 {
		t.Fatalf("reports %+v", rs)
	}
	_, _ = c.Write([]byte(strings.Replace(line, `"lost":2`, `"lost":3`, 1))) // no newline yet
	if rs := c.Reports(); len(rs) != 2 || rs[1].Lost != 3 {
		t.Fatalf("an unterminated last line: %+v", rs)
	}
}

// A log file: only lines written after Open are this run's.
func TestSourceReadsOnlyThisRunsPartOfALog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "service.log")
	old := `{"msg":"grace: shutdown report","report":{"exit_code":0,"lost":100}}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := servicereport.Open(path, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Wait(t.Context(), 200*time.Millisecond, 20*time.Millisecond, 0); err == nil {
		t.Fatal("the old report was read as this run's")
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"msg":"grace: shutdown report","report":{"exit_code":1,"lost":4}}` + "\n")
	_ = f.Close()
	rs, err := src.Wait(t.Context(), 2*time.Second, 20*time.Millisecond, 0)
	if err != nil || len(rs) != 1 || rs[0].Lost != 4 {
		t.Fatalf("reports %+v, err %v", rs, err)
	}
}

// A URL serving the report: 404 until the service has stopped, then the report.
func TestSourceReadsAURL(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"exit_code":6,"lost":2,"components":[{"name":"q","state":"stopped","lost":2}]}`))
	}))
	defer srv.Close()
	src, err := servicereport.Open(srv.URL+"/report", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Wait(t.Context(), 150*time.Millisecond, 20*time.Millisecond, 0); err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("before the report: %v, want the 404 named", err)
	}
	ready.Store(true)
	rs, err := src.Wait(t.Context(), 2*time.Second, 20*time.Millisecond, 0)
	if err != nil || len(rs) != 1 || rs[0].Lost != 2 || *rs[0].ExitCode != 6 {
		t.Fatalf("reports %+v, err %v", rs, err)
	}
}

func TestOpenRejectsWhatCannotHoldAReport(t *testing.T) {
	for spec, want := range map[string]string{
		t.TempDir():      "is a directory",
		"ftp://x/report": "want a file or an http(s):// URL",
		"http://":        "not a usable URL",
	} {
		if _, err := servicereport.Open(spec, time.Now()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want %q", spec, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"msg":"grace: shutdown report","report":{"exit_code":6,"lost":3,"h":{"state":"stopped","lost":3}}}`))
	f.Add([]byte(`{"exit_code":0,"components":[{"name":"a","lost":-4,"handed_back":1e300}]}`))
	f.Add([]byte("junk\n{\"msg\":\"grace: shutdown report\",\"report\":[]}\n{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range servicereport.Parse(b) {
			if r.Lost < 0 || r.HandedBack < 0 {
				t.Fatalf("negative counts from %q: %+v", b, r)
			}
			for _, c := range r.Components {
				if c.Lost < 0 || c.HandedBack < 0 {
					t.Fatalf("negative counts from %q: %+v", b, c)
				}
			}
		}
	})
}
