package record

import "time"

// Request is one request the drill sent. Times are offsets from the start of the drill
// (Recording.Start), so a Request is small and a run of millions fits in memory.
type Request struct {
	Start   time.Duration // when the request was started
	Latency time.Duration // until the response was read completely, or the error
	Status  uint16        // HTTP status, 0 when there was no response
	Kind    Kind          // how it ended
}

// End returns when the request ended.
func (r Request) End() time.Duration { return r.Start + r.Latency }

// Failed reports whether the request counts as lost.
func (r Request) Failed() bool { return r.Kind != OK }
