package summary

import (
	"sort"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// MaxBuckets bounds the number of points of a timeline.
const MaxBuckets = 400

// Bucket is one slice of time of a timeline. Rates are per second; latencies are of the
// requests started in the bucket.
type Bucket struct {
	At           time.Duration // start of the bucket
	Sent         float64       // requests started, per second
	Failed       float64       // failed requests started, per second
	FailedByKind map[string]int
	InFlight     int // requests in flight at the end of the bucket
	P50, P90     time.Duration
	P99          time.Duration
}

// BucketSize picks a round bucket width giving at most MaxBuckets buckets over span, at least
// 50 ms.
func BucketSize(span time.Duration) time.Duration {
	for _, w := range []time.Duration{50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000} {
		w *= time.Millisecond
		if span/w < MaxBuckets {
			return w
		}
	}
	return span / MaxBuckets
}

// Timeline buckets the requests by start over [0, end).
func Timeline(reqs []record.Request, end time.Duration) (width time.Duration, out []Bucket) {
	width = BucketSize(end)
	n := int(end/width) + 1
	out = make([]Bucket, n)
	lat := make([][]time.Duration, n)
	for i := range out {
		out[i].At = time.Duration(i) * width
	}
	ends := make([]time.Duration, 0, len(reqs))
	starts := make([]time.Duration, 0, len(reqs))
	for _, q := range reqs {
		i := min(max(int(q.Start/width), 0), n-1)
		out[i].Sent++
		if q.Failed() {
			out[i].Failed++
			if out[i].FailedByKind == nil {
				out[i].FailedByKind = make(map[string]int)
			}
			out[i].FailedByKind[q.Kind.String()]++
		}
		lat[i] = append(lat[i], q.Latency)
		starts = append(starts, q.Start)
		ends = append(ends, q.End())
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	per := width.Seconds()
	for i := range out {
		p := percentiles(lat[i])
		out[i].P50, out[i].P90, out[i].P99 = p.P50, p.P90, p.P99
		out[i].Sent /= per
		out[i].Failed /= per
		t := out[i].At + width
		started := sort.Search(len(starts), func(k int) bool { return starts[k] > t })
		ended := sort.Search(len(ends), func(k int) bool { return ends[k] > t })
		out[i].InFlight = started - ended
	}
	return width, out
}
