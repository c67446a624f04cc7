package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loader is a Go client posting orders from several goroutines until its context ends — or, once
// followReadiness was called, until the service says it is not ready, as a client behind a load
// balancer stops being sent to — recording the id of every order that got a 2xx.
type loader struct {
	mu       sync.Mutex
	ids      []string
	failures map[string]int // kind -> count
	ok       atomic.Int64
	server5x atomic.Int64
	dropped  atomic.Int64 // requests sent on a connection that broke before the answer
	notReady atomic.Bool  // the load balancer took the instance out: send nothing new
	wg       sync.WaitGroup
}

func newLoader(ctx context.Context, base string, workers int) *loader {
	l := &loader{failures: map[string]int{}}
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ctx.Err() == nil && !l.notReady.Load(); i++ {
				l.post(ctx, client, base, fmt.Sprintf("load-%d-%d", w, i))
			}
		})
	}
	go func() { l.wg.Wait(); tr.CloseIdleConnections() }()
	return l
}

func (l *loader) post(ctx context.Context, client *http.Client, base, customer string) {
	body, _ := json.Marshal(map[string]any{"customer": customer,
		"items": []map[string]any{{"sku": "sku-1", "quantity": 2, "price_cents": 499}}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/orders", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				l.fail("refused") // the listener is closed: the request was never taken
			} else {
				l.dropped.Add(1)
				l.fail("dropped: " + err.Error())
			}
			time.Sleep(5 * time.Millisecond) // a refused connection returns at once: don't spin
		}
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusCreated:
		var r struct{ ID string }
		if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
			l.fail("bad 201 body")
			return
		}
		l.ok.Add(1)
		l.mu.Lock()
		l.ids = append(l.ids, r.ID)
		l.mu.Unlock()
	case resp.StatusCode >= 500:
		l.server5x.Add(1)
		l.fail(fmt.Sprintf("status %d", resp.StatusCode))
	default:
		l.fail(fmt.Sprintf("status %d", resp.StatusCode))
	}
}

func (l *loader) fail(kind string) {
	l.mu.Lock()
	l.failures[kind]++
	l.mu.Unlock()
}

// followReadiness polls readiness every interval, as a load balancer's health check does, and
// stops new requests at the first answer that is not 200.
func (l *loader) followReadiness(ctx context.Context, readyURL string, interval time.Duration) {
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != http.StatusOK {
				l.notReady.Store(true)
				return
			}
		}
	}()
}

// waitOK waits until n orders were accepted.
func (l *loader) waitOK(n int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for l.ok.Load() < n {
		if time.Now().After(deadline) {
			return errors.New("load: too few orders accepted in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func (l *loader) result() ([]string, map[string]int) {
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...), l.failures
}
