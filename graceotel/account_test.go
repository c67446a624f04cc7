package graceotel_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/internal/testkit"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
)

// queue is a component holding messages it hands back to a broker at its stop.
type queue struct{ held int64 }

func (q *queue) Stop(context.Context) error { return nil }
func (q *queue) Account() grace.Account {
	return grace.Account{Unit: "messages", HandedBack: q.held}
}

func hasAttr(p *metricpb.NumberDataPoint, key string) bool {
	for _, kv := range p.Attributes {
		if kv.Key == key {
			return true
		}
	}
	return false
}

// An app with an HTTP server whose one request is cut at the hard deadline, a second server
// that loses nothing, and a queue that hands 2 messages back: the exported metrics say
// grace.lost = 1 for the cut server and 0 for the other, grace.handed_back = 2 for the queue,
// each with its unit; the stop spans carry the same figures, and grace.stop the totals.
func TestLossesAreExported(t *testing.T) {
	col := newCollector(t, false)
	tel := newTelemetry(t, col)
	app := testkit.NewApp()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	app.Add("web", gracehttp.New(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // runs until cut
	})}, gracehttp.WithListener(ln)), grace.StopTimeout(300*time.Millisecond))
	idle, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app.Add("admin", gracehttp.New(&http.Server{Handler: http.NotFoundHandler()}, gracehttp.WithListener(idle)))
	app.Add("queue", &queue{held: 2})
	app.Add("telemetry", tel, grace.StopsLast())
	r := testkit.Run(t, app)
	r.Ready(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	got := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("http://" + ln.Addr().String() + "/slow")
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	testkit.Await(t, entered, 10*time.Second, "the handler to run")
	app.Stop("test")
	res := r.Wait(t)
	testkit.Recv(t, got, 10*time.Second, "the client")
	if res.Report.Lost != 1 || res.Report.HandedBack != 2 {
		t.Fatalf("report: lost %d, handed back %d; want 1, 2\n%s", res.Report.Lost, res.Report.HandedBack, res.Report)
	}

	point := func(name string, want map[string]string) *metricpb.NumberDataPoint {
		t.Helper()
		p := dataPoint(t, col, name, want, func(m *metricpb.Metric) []*metricpb.NumberDataPoint { return m.GetSum().GetDataPoints() })
		if !col.metric(name).GetSum().GetIsMonotonic() {
			t.Errorf("%s is not a counter", name)
		}
		return p
	}
	for _, c := range []struct {
		metric, component, unit string
		want                    int64
	}{
		{"grace.lost", "web", "requests", 1},
		{"grace.lost", "admin", "requests", 0},
		{"grace.handed_back", "queue", "messages", 2},
		{"grace.lost", "queue", "messages", 0},
	} {
		p := point(c.metric, map[string]string{"grace.component": c.component, "grace.unit": c.unit})
		if p.GetAsInt() != c.want {
			t.Errorf("%s{%s, %s} = %d, want %d", c.metric, c.component, c.unit, p.GetAsInt(), c.want)
		}
	}
	if m := col.metric("grace.lost"); m != nil {
		for _, p := range m.GetSum().GetDataPoints() {
			if matches(p.Attributes, map[string]string{"grace.component": "telemetry"}) || !hasAttr(p, "grace.unit") {
				t.Errorf("grace.lost data point for a component without an account: %v", p.Attributes)
			}
		}
	}

	span := col.spanNamed("grace.component.stop", "web")
	if span == nil || intValue(span.Attributes, "grace.lost") != 1 || attr(span.Attributes, "grace.unit") != "requests" {
		t.Errorf("web's stop span attributes %v, want grace.lost=1 grace.unit=requests", span.GetAttributes())
	}
	if stop := col.spanNamed("grace.stop", ""); stop == nil || intValue(stop.Attributes, "grace.lost") != 1 || intValue(stop.Attributes, "grace.handed_back") != 2 {
		t.Errorf("grace.stop attributes %v, want the totals lost 1, handed back 2", stop.GetAttributes())
	}
}
