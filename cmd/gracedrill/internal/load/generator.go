// Package load drives open-loop HTTP load with vegeta's library and records every request.
//
// vegeta does what a drill needs: its attacker is open-loop (it starts more workers instead of
// waiting for slow responses), its Result carries each request's start and latency, a custom
// http.Client lets us classify failures from the error chain (the transport stores the kind under
// the X-Vegeta-Seq header vegeta sets), and a custom Pacer plus a gate in the Targeter stop new
// sends the moment the drill's load balancer sees the service not ready.
package load

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// DefaultTimeout is the per-request timeout.
const DefaultTimeout = 10 * time.Second

// MaxBehind is the largest shortfall against the asked rate a run may have and still be
// trusted: 5 %.
const MaxBehind = 0.05

// errStopped is what the targeter returns once the generator stopped: the request is not sent.
var errStopped = errors.New("load stopped")

// Config describes the load.
type Config struct {
	Base    *url.URL      // scheme and host every target's path is sent to
	Rate    int           // requests per second
	Targets []Target      // the mix; at least one
	Timeout time.Duration // per request; DefaultTimeout when zero
	// NewConnections sends every request on a new connection (no keep-alive).
	NewConnections bool
}

// Generator sends requests at a constant rate until Stop, and records each one.
type Generator struct {
	cfg       Config
	rec       *record.Recording
	kinds     *kindTable
	transport *http.Transport
	attacker  *vegeta.Attacker
	cycle     []int

	stopped atomic.Bool
	next    atomic.Uint64 // requests handed out by the targeter
	done    atomic.Uint64 // results recorded
	failed  atomic.Uint64

	mu      sync.Mutex
	began   time.Duration // offset of the first send
	started bool
	stopAt  time.Duration
}

// New returns a Generator that records into rec. It sends nothing before Run.
func New(cfg Config, rec *record.Recording) *Generator {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	g := &Generator{cfg: cfg, rec: rec, kinds: newKindTable(), cycle: schedule(cfg.Targets)}
	g.transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: vegeta.DefaultConnections,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		DisableKeepAlives:   cfg.NewConnections,
	}
	client := &http.Client{
		Transport:     &classifyingTransport{next: g.transport, kinds: g.kinds, timeout: cfg.Timeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	g.attacker = vegeta.NewAttacker(vegeta.Client(client), vegeta.MaxBody(0))
	return g
}

// Run sends requests until Stop is called, then waits for every request in flight to finish and
// records it. It returns when the last result is recorded; idle connections are closed.
func (g *Generator) Run() {
	results := g.attacker.Attack(vegeta.Targeter(g.target), pacer{g: g}, 0, "gracedrill")
	for res := range results {
		if res.Error == errStopped.Error() {
			continue // never sent
		}
		classified, ok := g.kinds.take(strconv.FormatUint(res.Seq, 10))
		q := record.Request{
			Start:   g.rec.Since(res.Timestamp),
			Latency: res.Latency,
			Status:  res.Code,
			Kind:    kindOf(res.Code, res.Error, classified, ok),
		}
		if q.Failed() {
			g.failed.Add(1)
		}
		g.rec.AddRequest(q)
		g.done.Add(1)
	}
	g.transport.CloseIdleConnections()
}

// Stop stops sending new requests; requests in flight go on. Safe to call more than once and
// from any goroutine; only the first call counts. It does not wait: Run returns when the last
// request has finished.
func (g *Generator) Stop() {
	if g.stopped.Swap(true) {
		return
	}
	at := g.rec.Mark(record.LoadStopped, 0, "")
	g.mu.Lock()
	g.stopAt = at
	g.mu.Unlock()
	g.attacker.Stop()
}

// Stopped reports whether Stop was called.
func (g *Generator) Stopped() bool { return g.stopped.Load() }

// Progress returns how many requests were sent, finished and failed so far.
func (g *Generator) Progress() (sent, done, failed uint64) {
	return g.next.Load(), g.done.Load(), g.failed.Load()
}

// Achieved returns the rate actually sent over the sending window (first send to Stop), the
// window, and whether that fell more than MaxBehind short of the asked rate. Call it after Run.
func (g *Generator) Achieved() (rate float64, window time.Duration, behind bool) {
	g.mu.Lock()
	began, stopAt, started := g.began, g.stopAt, g.started
	g.mu.Unlock()
	window = stopAt - began
	if !started || window <= 0 {
		return 0, 0, false
	}
	sent := float64(g.next.Load())
	rate = sent / window.Seconds()
	// The last interval before Stop may hold no send yet, so allow one interval of slack.
	want := float64(g.cfg.Rate)*window.Seconds() - 1
	return rate, window, sent < want*(1-MaxBehind)
}

// target is the vegeta Targeter: the next target of the cycle, or errStopped after Stop, so no
// request is ever sent once the drill's load balancer has taken the service out.
func (g *Generator) target(t *vegeta.Target) error {
	if g.stopped.Load() {
		return errStopped
	}
	n := g.next.Add(1) - 1
	tg := g.cfg.Targets[g.cycle[n%uint64(len(g.cycle))]]
	t.Method = tg.Method
	t.URL = g.cfg.Base.Scheme + "://" + g.cfg.Base.Host + tg.Path
	t.Body = tg.Body
	t.Header = nil
	if len(tg.Body) > 0 {
		t.Header = http.Header{"Content-Type": {sniff(tg.Body)}}
	}
	return nil
}

func sniff(b []byte) string {
	if t := bytes.TrimSpace(b); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// pacer paces at the configured constant rate and stops once the generator is stopped.
type pacer struct{ g *Generator }

func (p pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.g.stopped.Load() {
		return 0, true
	}
	if hits == 0 {
		p.g.mu.Lock()
		if !p.g.started {
			p.g.started, p.g.began = true, p.g.rec.Now()
		}
		p.g.mu.Unlock()
	}
	return vegeta.ConstantPacer{Freq: p.g.cfg.Rate, Per: time.Second}.Pace(elapsed, hits)
}

func (p pacer) Rate(elapsed time.Duration) float64 { return float64(p.g.cfg.Rate) }
