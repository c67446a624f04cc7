package graceotel_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an in-process OTLP/HTTP endpoint: it decodes the protobuf payloads the real
// exporters send to /v1/traces and /v1/metrics and keeps what they carry.
type collector struct {
	srv     *httptest.Server
	hang    chan struct{} // if set, requests wait on it: an unreachable collector
	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics []*metricpb.Metric
}

func newCollector(t testing.TB, hang bool) *collector {
	t.Helper()
	c := startCollector(hang)
	t.Cleanup(c.close)
	return c
}

func startCollector(hang bool) *collector {
	c := &collector{}
	if hang {
		c.hang = make(chan struct{})
	}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	return c
}

func (c *collector) close() {
	if c.hang != nil {
		close(c.hang)
	}
	c.srv.Close()
}

// spanNames returns the names of the spans received, sorted, each once.
func (c *collector) spanNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, s := range c.spans {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	return names
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	if c.hang != nil {
		select {
		case <-c.hang:
		case <-r.Context().Done():
		}
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, keep, resp := c.export(r.URL.Path)
	if req == nil {
		http.NotFound(w, r)
		return
	}
	if err := proto.Unmarshal(data, req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	keep()
	c.mu.Unlock()
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = io.Copy(w, bytes.NewReader(out))
}

// export returns, for an export request to path, the message to decode it into, what keeps
// what it carries once decoded (called under c.mu) and the response; a nil req for a path the
// collector does not serve.
func (c *collector) export(path string) (req proto.Message, keep func(), resp proto.Message) {
	switch path {
	case "/v1/traces":
		req := &coltracepb.ExportTraceServiceRequest{}
		return req, func() {
			c.spans = append(c.spans, flatten(req.ResourceSpans, (*tracepb.ResourceSpans).GetScopeSpans, (*tracepb.ScopeSpans).GetSpans)...)
		}, &coltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		req := &colmetricpb.ExportMetricsServiceRequest{}
		return req, func() {
			c.metrics = append(c.metrics, flatten(req.ResourceMetrics, (*metricpb.ResourceMetrics).GetScopeMetrics, (*metricpb.ScopeMetrics).GetMetrics)...)
		}, &colmetricpb.ExportMetricsServiceResponse{}
	}
	return nil, nil, nil
}

// flatten returns the items of every scope of every resource of an OTLP request, in order.
func flatten[R, S, T any](resources []R, scopes func(R) []S, items func(S) []T) []T {
	var all []T
	for _, r := range resources {
		for _, s := range scopes(r) {
			all = append(all, items(s)...)
		}
	}
	return all
}

// providers returns a tracer and a meter provider exporting to c through the real OTLP/HTTP
// exporters. Nothing is exported on a schedule within a test's time: what c receives, the
// providers' shutdown flushed.
func providers(t testing.TB, c *collector) (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	t.Helper()
	ctx := context.Background()
	te, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(c.srv.URL+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	me, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(c.srv.URL+"/v1/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(te, sdktrace.WithBatchTimeout(time.Hour)))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(time.Hour))))
	// If a test fails before the app stops them, end them (with a short deadline).
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
		_ = mp.Shutdown(ctx)
	})
	return tp, mp
}

func (c *collector) spanNamed(name, component string) *tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.spans {
		if s.Name == name && (component == "" || attr(s.Attributes, "grace.component") == component) {
			return s
		}
	}
	return nil
}

func (c *collector) metric(name string) *metricpb.Metric {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.IndexFunc(c.metrics, func(m *metricpb.Metric) bool { return m.Name == name }); i >= 0 {
		return c.metrics[i]
	}
	return nil
}

// value returns the value of key among kvs, nil if there is none.
func value(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	if i := slices.IndexFunc(kvs, func(kv *commonpb.KeyValue) bool { return kv.Key == key }); i >= 0 {
		return kvs[i].Value
	}
	return nil
}

func attr(kvs []*commonpb.KeyValue, key string) string { return value(kvs, key).GetStringValue() }

// dataPoint returns the data point of the metric called name whose attributes include want,
// failing t if the metric was not exported or has no such point. points picks the points out of
// the metric (its histogram's, its sum's, ...).
func dataPoint[P interface{ GetAttributes() []*commonpb.KeyValue }](t *testing.T, c *collector, name string, want map[string]string, points func(*metricpb.Metric) []P) P {
	t.Helper()
	m := c.metric(name)
	if m == nil {
		t.Fatalf("metric %s not exported", name)
	}
	for _, p := range points(m) {
		if matches(p.GetAttributes(), want) {
			return p
		}
	}
	t.Fatalf("%s has no data point with %v", name, want)
	var none P
	return none
}

// matches reports whether a data point's attributes hold every key and value in want.
func matches(kvs []*commonpb.KeyValue, want map[string]string) bool {
	for k, v := range want {
		if attr(kvs, k) != v {
			return false
		}
	}
	return true
}

func intValue(kvs []*commonpb.KeyValue, key string) int64 {
	if v := value(kvs, key); v != nil {
		return v.GetIntValue()
	}
	return -1
}
