package graceotel_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceotel"
	"github.com/gracekit/grace/internal/testkit"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func newTelemetry(t *testing.T, c *collector) *graceotel.Telemetry {
	t.Helper()
	tp, mp := providers(t, c)
	tel, err := graceotel.New(tp, mp)
	if err != nil {
		t.Fatal(err)
	}
	return tel
}

func TestTheStopIsExportedByTheShutdown(t *testing.T) {
	col := newCollector(t, false)
	tel := newTelemetry(t, col)
	release := make(chan struct{})
	defer close(release)

	app := testkit.NewApp(grace.WithDrainDelay(20 * time.Millisecond))
	app.Add("db", grace.StopFunc(func(ctx context.Context) error {
		select { // closing takes a while
		case <-time.After(30 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	app.Add("pool", grace.StopFunc(func(context.Context) error { return &grace.InUseError{Unit: "connections", InUse: 4, Forced: 3} }), grace.DependsOn("db"))
	app.Add("worker", grace.RunFunc(func(context.Context) error {
		<-release // ignores its stop: abandoned
		return nil
	}), grace.StopTimeout(50*time.Millisecond), grace.Independent())
	app.Add("telemetry", tel, grace.StopsLast()) // added last, declared by nobody: stops last all the same
	tel.ObserveInFlight("http", func() int64 { return 2 })

	rep, err := testkit.RunAndStop(t, app)
	if err == nil {
		t.Fatal("Run succeeded; want the worker's timeout and the pool's error")
	}
	// The telemetry stopped last, within its limit and without error.
	tr := rep.Component("telemetry")
	if tr.State != grace.StateStopped || tr.Error != "" {
		t.Fatalf("telemetry: state %q, error %q\n%s", tr.State, tr.Error, rep)
	}
	for _, c := range rep.Components {
		if c.Name != "telemetry" && c.StopAt.Add(c.Stop).After(tr.StopAt) {
			t.Fatalf("%s's stop ended after the telemetry's began", c.Name)
		}
	}

	// Traces: the stop, its phases and every component's stop, exported by the shutdown.
	stop := col.spanNamed("grace.stop", "")
	stopping := col.spanNamed("grace.stopping", "")
	drain := col.spanNamed("grace.drain", "")
	start := col.spanNamed("grace.start", "")
	if stop == nil || stopping == nil || drain == nil || start == nil {
		t.Fatalf("phase spans missing: stop %v, stopping %v, drain %v, start %v", stop != nil, stopping != nil, drain != nil, start != nil)
	}
	if len(stop.ParentSpanId) != 0 || string(stopping.ParentSpanId) != string(stop.SpanId) || string(drain.ParentSpanId) != string(stop.SpanId) {
		t.Fatal("grace.stopping and grace.drain are not children of the root span grace.stop")
	}
	if got := attr(stop.Attributes, "grace.trigger"); got != "stop (test)" {
		t.Fatalf("grace.stop's grace.trigger = %q, want the test's stop", got)
	}
	if d := time.Duration(drain.EndTimeUnixNano - drain.StartTimeUnixNano); d < 20*time.Millisecond {
		t.Fatalf("grace.drain lasted %v, want at least the 20ms drain delay", d)
	}
	for _, name := range []string{"db", "pool", "worker"} {
		s := col.spanNamed("grace.component.stop", name)
		if s == nil {
			t.Fatalf("no stop span for %s", name)
		}
		if string(s.ParentSpanId) != string(stopping.SpanId) || string(s.TraceId) != string(stop.TraceId) {
			t.Fatalf("%s's stop span is not under grace.stopping", name)
		}
		if s.EndTimeUnixNano > stop.EndTimeUnixNano {
			t.Fatalf("%s's stop ended after grace.stop", name)
		}
		if got := attr(s.Attributes, "grace.trigger"); got != "stop (test)" {
			t.Fatalf("%s's stop span: grace.trigger = %q, want the test's stop", name, got)
		}
		if c := rep.Component(name); time.Duration(s.StartTimeUnixNano) > time.Duration(c.StopAt.UnixNano()) {
			t.Fatalf("%s's stop span begins after its stop began", name)
		}
	}
	// The telemetry's own stop, under way at the shutdown, is exported as unfinished.
	if s := col.spanNamed("grace.component.stop", "telemetry"); s == nil || attr(s.Attributes, "grace.outcome") != "unfinished" ||
		len(s.Events) != 1 || s.Events[0].Name != "telemetry shut down" {
		t.Fatalf("telemetry's own stop span = %v, want one ended by the shutdown as unfinished", s)
	}
	if s := col.spanNamed("grace.component.stop", "db"); time.Duration(s.EndTimeUnixNano-s.StartTimeUnixNano) < 30*time.Millisecond ||
		s.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Fatalf("db stop span: %v long, status %v", time.Duration(s.EndTimeUnixNano-s.StartTimeUnixNano), s.Status)
	}
	if s := col.spanNamed("grace.component.stop", "worker"); s.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR ||
		!strings.HasPrefix(s.Status.GetMessage(), "abandoned: ") {
		t.Fatalf("worker stop span status = %v, want an error: abandoned", s.Status)
	}
	if s := col.spanNamed("grace.component.start", "db"); s == nil || string(s.ParentSpanId) != string(start.SpanId) {
		t.Fatal("no start span for db under grace.start")
	}

	// Metrics: stop durations by component and outcome, forced closes, in flight, running.
	hist := func(name string, want map[string]string) *metricpb.HistogramDataPoint {
		t.Helper()
		return dataPoint(t, col, name, want, func(m *metricpb.Metric) []*metricpb.HistogramDataPoint { return m.GetHistogram().GetDataPoints() })
	}
	number := func(name string, want map[string]string) int64 {
		t.Helper()
		return dataPoint(t, col, name, want, func(m *metricpb.Metric) []*metricpb.NumberDataPoint {
			if points := m.GetSum().GetDataPoints(); points != nil {
				return points
			}
			return m.GetGauge().GetDataPoints()
		}).GetAsInt()
	}
	if p := hist("grace.component.stop.duration", map[string]string{"grace.component": "db", "grace.outcome": "ok"}); p.Count != 1 || p.GetSum() < 0.03 {
		t.Fatalf("db stop duration: count %d sum %v", p.Count, p.GetSum())
	}
	hist("grace.component.stop.duration", map[string]string{"grace.component": "worker", "grace.outcome": "abandoned"})
	hist("grace.component.stop.duration", map[string]string{"grace.component": "pool", "grace.outcome": "error"})
	hist("grace.phase.duration", map[string]string{"grace.phase": "draining"})
	hist("grace.phase.duration", map[string]string{"grace.phase": "stopping"})
	if n := number("grace.forced_closes", map[string]string{"grace.component": "worker", "grace.forced": "component"}); n != 1 {
		t.Fatalf("forced closes of worker = %d, want 1", n)
	}
	if n := number("grace.forced_closes", map[string]string{"grace.component": "pool", "grace.forced": "connections"}); n != 3 {
		t.Fatalf("connections pool cut = %d, want 3", n)
	}
	if n := number("grace.in_flight", map[string]string{"grace.component": "http"}); n != 2 {
		t.Fatalf("in flight in http = %d, want 2", n)
	}
	if n := number("grace.components.running", nil); n != 1 {
		t.Fatalf("components running at the last export = %d, want 1 (the telemetry itself)", n)
	}
}

func TestUnreachableCollectorAtStopIsBoundedByTheLimit(t *testing.T) {
	col := newCollector(t, true)
	tel := newTelemetry(t, col)
	app := testkit.NewApp()
	const limit = 500 * time.Millisecond
	app.Add("telemetry", tel, grace.StopTimeout(limit))
	app.Add("db", grace.Hook{})
	rep, err := testkit.RunAndStop(t, app)
	if !errors.Is(err, grace.ErrTimeout) {
		t.Fatalf("Run error = %v, want the telemetry's timeout", err)
	}
	if c := rep.Component("telemetry"); c.Stop > limit+200*time.Millisecond {
		t.Fatalf("telemetry stop took %v, limit %v", c.Stop, limit)
	}
}

func TestEventsAfterTheShutdownAreIgnored(t *testing.T) {
	col := newCollector(t, false)
	tel := newTelemetry(t, col)
	if err := tel.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	tel.Observe(grace.Event{Kind: grace.EventStopped, Component: "late", At: time.Now()})
	if err := tel.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if col.spanNamed("grace.component.stop", "late") != nil {
		t.Fatal("an event after the shutdown was exported")
	}
}

// TestContracts: a Telemetry is the grace interfaces its doc comment names — an Observer above
// all, which is how the app gives it its events.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &graceotel.Telemetry{}, (*grace.Observer)(nil), (*grace.Stopper)(nil))
}
