package jsonreport

import (
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// Timeline is a drill over time: requests bucketed by start, and the phase markers. The HTML
// report and gracedrill compare draw it.
type Timeline struct {
	BucketMS float64  `json:"bucket_ms"`
	Points   []Point  `json:"points"`
	Events   []Marker `json:"events"`
}

// Point is one bucket. Rates are per second, latencies in milliseconds.
type Point struct {
	T        float64        `json:"t"` // seconds from the start of the drill
	Sent     float64        `json:"sent"`
	Failed   float64        `json:"failed"`
	Kinds    map[string]int `json:"kinds,omitempty"`
	InFlight int            `json:"inflight"`
	P50      float64        `json:"p50"`
	P90      float64        `json:"p90"`
	P99      float64        `json:"p99"`
}

// Marker is a phase marker (signal, not ready, exit, ...).
type Marker struct {
	T        float64 `json:"t"`
	Name     string  `json:"name"`
	Instance int     `json:"instance"`
	Detail   string  `json:"detail,omitempty"`
}

// TimelineOf buckets reqs over the whole drill and lists the events.
func TimelineOf(reqs []record.Request, events []record.Event) Timeline {
	end := time.Duration(0)
	for _, q := range reqs {
		end = max(end, q.End())
	}
	for _, e := range events {
		end = max(end, e.At)
	}
	width, buckets := summary.Timeline(reqs, end)
	t := Timeline{BucketMS: lat(width), Points: make([]Point, 0, len(buckets)), Events: make([]Marker, 0, len(events))}
	for _, b := range buckets {
		t.Points = append(t.Points, Point{
			T: b.At.Seconds(), Sent: b.Sent, Failed: b.Failed, Kinds: b.FailedByKind, InFlight: b.InFlight,
			P50: lat(b.P50), P90: lat(b.P90), P99: lat(b.P99),
		})
	}
	for _, e := range events {
		t.Events = append(t.Events, Marker{T: e.At.Seconds(), Name: string(e.Name), Instance: e.Instance, Detail: e.Detail})
	}
	return t
}

func lat(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
