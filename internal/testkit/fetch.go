package testkit

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fetched is what [Fetch] got back.
type Fetched struct {
	Status int    // the response's status code; 0 when no response came
	Body   string // the whole body
	Close  bool   // the response asked the client to close the connection (Connection: close)
	Err    error  // the request's or the body's error
}

// String shows the response in a failure message: `200 "ok"`, or the error.
func (f Fetched) String() string {
	if f.Err != nil {
		return fmt.Sprintf("%d %q (%v)", f.Status, f.Body, f.Err)
	}
	return fmt.Sprintf("%d %q", f.Status, f.Body)
}

// Fetch sends GET url with c and reads the response's whole body.
func Fetch(c *http.Client, url string) Fetched {
	resp, err := c.Get(url)
	if err != nil {
		return Fetched{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Fetched{Status: resp.StatusCode, Body: string(body), Close: resp.Close, Err: err}
}

// Is reports whether the request succeeded with status and, whole, body.
func (f Fetched) Is(status int, body string) bool {
	return f.Err == nil && f.Status == status && f.Body == body
}

// Want fails t (going on) unless the response has status and, when body is not empty, that
// body once the spaces around it are trimmed.
func (f Fetched) Want(t testing.TB, status int, body string) {
	t.Helper()
	if f.Err != nil || f.Status != status || (body != "" && strings.TrimSpace(f.Body) != body) {
		t.Errorf("got %v, want %d %q", f, status, body)
	}
}

// Fetches is a batch of GET requests sent at once by [FetchAll].
type Fetches struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	got []Fetched
}

// FetchAll sends n GET url with c at once, each from a goroutine of its own, and returns without
// waiting; [Fetches.Wait] collects what they got.
func FetchAll(c *http.Client, url string, n int) *Fetches {
	f := &Fetches{}
	for range n {
		f.wg.Go(func() {
			r := Fetch(c, url)
			f.mu.Lock()
			f.got = append(f.got, r)
			f.mu.Unlock()
		})
	}
	return f
}

// Wait waits until every request of the batch has returned, at most d (past it, it fails t),
// and returns what they got, in the order they returned.
func (f *Fetches) Wait(t testing.TB, d time.Duration) []Fetched {
	t.Helper()
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	Await(t, done, d, "the requests sent at once to return")
	return f.got
}

// FetchHeld sends n GET url at once, as [FetchAll] does, to a handler that holds each request
// (entered tells when one got in), and waits until all n are held, at most 10 s each.
func FetchHeld[T any](t testing.TB, c *http.Client, url string, n int, entered <-chan T) *Fetches {
	t.Helper()
	f := FetchAll(c, url, n)
	for i := range n {
		Recv(t, entered, 10*time.Second, fmt.Sprintf("request %d of %d to enter the handler", i+1, n))
	}
	return f
}

// Expect waits as [Fetches.Wait] does and fails t for every request that did not get status
// and, whole, body.
func (f *Fetches) Expect(t testing.TB, d time.Duration, status int, body string) {
	t.Helper()
	for _, r := range f.Wait(t, d) {
		if !r.Is(status, body) {
			t.Errorf("a request got %v, want %d %q", r, status, body)
		}
	}
}
