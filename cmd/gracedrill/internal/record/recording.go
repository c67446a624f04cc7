package record

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Recording collects requests and events from many goroutines. The zero value is not usable;
// use New.
type Recording struct {
	start time.Time

	mu       sync.Mutex
	requests []Request
	events   []Event
}

// New returns an empty Recording whose offsets count from start.
func New(start time.Time) *Recording {
	return &Recording{start: start, requests: make([]Request, 0, 1<<16)}
}

// Start returns the instant every offset counts from.
func (r *Recording) Start() time.Time { return r.start }

// Since returns the offset of t.
func (r *Recording) Since(t time.Time) time.Duration { return t.Sub(r.start) }

// Now returns the offset of the current instant.
func (r *Recording) Now() time.Duration { return time.Since(r.start) }

// AddRequest records one request. Safe for concurrent use.
func (r *Recording) AddRequest(q Request) {
	r.mu.Lock()
	r.requests = append(r.requests, q)
	r.mu.Unlock()
}

// Mark records an event at the current instant and returns its offset. Safe for concurrent use.
func (r *Recording) Mark(name EventName, instance int, detail string) time.Duration {
	at := r.Now()
	r.MarkAt(name, at, instance, detail)
	return at
}

// MarkAt records an event at a given offset. Safe for concurrent use.
func (r *Recording) MarkAt(name EventName, at time.Duration, instance int, detail string) {
	r.Add(Event{Name: name, At: at, Instance: instance, Detail: detail})
}

// Requests returns a copy of the requests sorted by start.
func (r *Recording) Requests() []Request {
	return sortedCopy(&r.mu, &r.requests, func(q Request) time.Duration { return q.Start })
}

// Add records an event as given. Safe for concurrent use.
func (r *Recording) Add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of the events sorted by time.
func (r *Recording) Events() []Event {
	return sortedCopy(&r.mu, &r.events, func(e Event) time.Duration { return e.At })
}

// sortedCopy copies *s under mu and sorts the copy by at, keeping the order of equal times.
func sortedCopy[T any](mu *sync.Mutex, s *[]T, at func(T) time.Duration) []T {
	mu.Lock()
	out := slices.Clone(*s)
	mu.Unlock()
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(at(a), at(b)) })
	return out
}

// First returns the first event with the given name and instance at or after from.
func First(events []Event, name EventName, instance int, from time.Duration) (Event, bool) {
	for _, e := range events {
		if e.Name == name && e.Instance == instance && e.At >= from {
			return e, true
		}
	}
	return Event{}, false
}
