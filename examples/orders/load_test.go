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
	"time"
)

// loader is a Go client posting orders from several goroutines until its context ends,
// recording the id of every order that got a 2xx.
type loader struct {
	mu       sync.Mutex
	ids      []string
	failures map[string]int // kind -> count
	ok       atomic.Int64
	server5x atomic.Int64
	wg       sync.WaitGroup
}

func newLoader(ctx context.Context, base string, workers int) *loader {
	l := &loader{failures: map[string]int{}}
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
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
			l.fail("transport")
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
