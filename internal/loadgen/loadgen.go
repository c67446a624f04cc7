// Package loadgen is open-loop HTTP load for tests: requests sent on a fixed schedule whatever
// the earlier ones are doing, every outcome classified from the error chain. Tests run it in a
// process of its own (internal/loadgen/proc, through testkit.StartLoad), built without the race
// detector, so that a loaded test binary does not starve it.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Gen is open-loop HTTP load: GET requests sent on a fixed schedule whatever the earlier ones
// are doing (a slow server does not slow the load down), alternately on a keep-alive connection
// pool and on a new connection each, every failure classified from the error chain. Start it
// with [Start]; [Gen.Stop] ends it and waits for every request sent.
type Gen struct {
	url     string
	period  time.Duration
	timeout time.Duration
	keep    *http.Client
	fresh   *http.Client
	stop    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup

	mu  sync.Mutex
	res Result
}

// Result counts a Gen's requests by outcome.
type Result struct {
	Sent, OK                            int
	Refused, Reset, EOF, Timeout, Other int
	Status5xx, StatusOther              int
	// IdleClosed counts the requests of the keep-alive pool that failed (EOF, nothing answered)
	// on a pooled connection never used before: the server closed it as idle just as the request
	// went out — HTTP/1.1's keep-alive race, which Go's client retries only on connections that
	// served a request before. They are also in Failed.
	IdleClosed int
	Behind     int      // ticks the sender was late by more than 10 periods
	Errors     []string // the first few failures, for the test's message
	Latencies  []time.Duration
	Bodies     map[string]int // distinct bodies of 200 answers (the pid), counted
}

// Failed is the number of requests that did not get a 2xx answer.
func (r Result) Failed() int { return r.Sent - r.OK }

// Lost is Failed less IdleClosed: the requests that failed for any other reason.
func (r Result) Lost() int { return r.Failed() - r.IdleClosed }

// P99 is the 99th percentile latency of the requests answered 2xx.
func (r Result) P99() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.Latencies)
	slices.Sort(l)
	return l[(len(l)*99)/100]
}

func (r Result) String() string {
	return fmt.Sprintf("sent %d, ok %d, refused %d, reset %d, EOF %d, timeout %d, other error %d, 5xx %d, other status %d (of the failures, %d on unused pooled connections closed by the server); p99 %v, sender behind %d; first failures: %s",
		r.Sent, r.OK, r.Refused, r.Reset, r.EOF, r.Timeout, r.Other, r.Status5xx, r.StatusOther, r.IdleClosed, r.P99(), r.Behind, strings.Join(r.Errors, "; "))
}

// Start sends GET url at rate requests per second until Stop, each with a timeout of 10 s.
func Start(url string, rate int) (*Gen, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("loadgen: rate must be positive, got %d", rate)
	}
	l := &Gen{
		url:     url,
		period:  time.Second / time.Duration(rate),
		timeout: 10 * time.Second,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		res:     Result{Bodies: map[string]int{}},
	}
	l.keep = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}
	l.fresh = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go l.send()
	return l, nil
}

func (l *Gen) send() {
	defer close(l.done)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * l.period)
		timer.Reset(time.Until(due))
		select {
		case <-l.stop:
			return
		case <-timer.C:
		}
		if late := time.Since(due); late > 10*l.period {
			l.mu.Lock()
			l.res.Behind++
			l.mu.Unlock()
		}
		client := l.keep
		if i%2 == 1 {
			client = l.fresh
		}
		l.wg.Add(1)
		go l.one(client)
	}
}

func (l *Gen) one(client *http.Client) {
	defer l.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	var conn httptrace.GotConnInfo
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { conn = i }})
	begin := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
	resp, err := client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	took := time.Since(begin)
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &l.res
	r.Sent++
	switch {
	case err != nil:
		var ne net.Error
		if conn.WasIdle && !conn.Reused && resp == nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, context.DeadlineExceeded) {
			r.IdleClosed++
		}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			r.Refused++
		case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
			r.Reset++
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
			r.Timeout++
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			r.EOF++
		default:
			r.Other++
		}
		if len(r.Errors) < 8 {
			r.Errors = append(r.Errors, fmt.Sprintf("%v (keep-alive %v, reused %v, was idle %v; sent at %s, took %v)", err, client == l.keep, conn.Reused, conn.WasIdle, begin.Format("15:04:05.000"), took.Round(time.Millisecond)))
		}
	case resp.StatusCode >= 500:
		r.Status5xx++
		if len(r.Errors) < 8 {
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %q", resp.Status, body))
		}
	case resp.StatusCode >= 300 || resp.StatusCode < 200:
		r.StatusOther++
		if len(r.Errors) < 8 {
			r.Errors = append(r.Errors, fmt.Sprintf("%s: %q", resp.Status, body))
		}
	default:
		r.OK++
		r.Latencies = append(r.Latencies, took)
		r.Bodies[string(body)]++
	}
}

// Snapshot returns the counts so far (requests still running are not counted yet).
func (l *Gen) Snapshot() Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.res
	r.Errors = slices.Clone(r.Errors)
	r.Latencies = slices.Clone(r.Latencies)
	r.Bodies = make(map[string]int, len(l.res.Bodies))
	for k, v := range l.res.Bodies {
		r.Bodies[k] = v
	}
	return r
}

// Stop ends the schedule, waits for every request sent to finish (each has its timeout), closes
// the connections and returns the counts. It may be called more than once.
func (l *Gen) Stop() Result {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	l.wg.Wait()
	l.keep.CloseIdleConnections()
	l.fresh.CloseIdleConnections()
	return l.Snapshot()
}
