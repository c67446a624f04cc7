package htmlreport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/htmlreport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// Text from the service (e.g. a probe's error) cannot break out of the page's script.
func TestPageEmbedsDataSafely(t *testing.T) {
	events := []record.Event{{Name: record.Signal, At: time.Second}, {Name: record.LBNotReady, At: 2 * time.Second, Detail: "</script><script>alert(1)</script>"}}
	reqs := []record.Request{{Start: 0, Latency: time.Millisecond, Status: 200}, {Start: time.Second, Kind: record.Reset}}
	s := summary.Build(summary.Input{Mode: "run", AskedRate: 1, Budget: time.Second, Requests: reqs, Events: events,
		Problems: []string{"<b>bold</b>"}})
	var b strings.Builder
	if err := htmlreport.Write(&b, s, reqs, events); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script>alert(1)") || strings.Contains(page, "<b>bold</b>") {
		t.Fatal("unescaped service text in the page")
	}
	for _, want := range []string{"const DATA = {", `"name":"signal"`, "lb not ready", "&lt;b&gt;bold&lt;/b&gt;", "reset 1"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
