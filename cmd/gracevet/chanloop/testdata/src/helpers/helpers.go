// Helpers in another package that loop on what they are given.
package helpers

import (
	"context"
	"time"
)

// Drain loops over ch until it is closed.
func Drain(ch <-chan int) { // want Drain:"loops \\(param 0\\): ranges over its parameter ch at helpers.go:11"
	for v := range ch {
		_ = v
	}
}

// Poll never returns.
func Poll(d time.Duration) { // want Poll:"loops \\(param -1\\): ranges over time.Tick\\(\\), a ticker's channel that is never closed at helpers.go:18"
	for range time.Tick(d) {
	}
}

// StartWorker starts a goroutine draining ch.
func StartWorker(ch chan int) { // want StartWorker:"starts a goroutine that loops \\(param 0\\): ranges over ch at helpers.go:25"
	go func() {
		for v := range ch {
			_ = v
		}
	}()
}

// Spin drains through another helper: two calls down.
func Spin(ch chan int) { Drain(ch) } // want Spin:"loops \\(param 0\\): ranges over its parameter ch at helpers.go:11"

// Look-alike: returns when ctx is done.
func DrainCtx(ctx context.Context, ch <-chan int) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}
