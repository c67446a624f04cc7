// Package lb plays the load balancer's part: it probes readiness like a health check, waits for
// a service to become ready, and watches a stopping service's readiness and listener.
package lb

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultInterval is the health-check interval of the drill's load balancer.
const DefaultInterval = 500 * time.Millisecond

// DefaultProbeTimeout bounds one readiness probe.
const DefaultProbeTimeout = time.Second

// Prober sends readiness probes on fresh connections, as a health checker does.
type Prober struct {
	client *http.Client
}

// NewProber returns a Prober whose probes time out after timeout.
func NewProber(timeout time.Duration) *Prober {
	return &Prober{client: &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// Probe GETs url and returns nil when it answered 200, else an error saying what it saw.
func (p *Prober) Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("readiness probe: %w", err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("readiness probe: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readiness probe: GET %s: %s", url, resp.Status)
	}
	return nil
}

// WaitReady probes url every 25 ms until it answers 200 (nil), exited is closed (the service
// died: an error), or timeout passes (an error with the last probe's failure).
func (p *Prober) WaitReady(ctx context.Context, url string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = p.Probe(ctx, url); last == nil {
			return nil
		}
		select {
		case <-tick.C:
		case <-exited:
			return fmt.Errorf("service exited before it was ready (last probe: %w)", last)
		case <-deadline.C:
			return fmt.Errorf("service not ready after %v: %w", timeout, last)
		case <-ctx.Done():
			return fmt.Errorf("wait for readiness: %w", context.Cause(ctx))
		}
	}
}
