package user

import (
	"context"
	"time"

	"helpers"
)

var jobs = make(chan int)

// Positive: goroutines that loop in helpers of another package, one and two calls down.
func spawn() {
	go helpers.Drain(jobs)             // want `goroutine runs Drain, which ranges over its parameter ch \(helpers.go:11\) with no other exit, and nothing in this package closes jobs: it leaks at shutdown`
	go func() { helpers.Spin(jobs) }() // want `goroutine runs Spin, which ranges over its parameter ch \(helpers.go:11\)`
	go helpers.Poll(time.Second)       // want `goroutine runs Poll, which ranges over time.Tick\(\), a ticker's channel that is never closed \(helpers.go:18\) and has no exit`
	helpers.StartWorker(jobs)          // want `StartWorker starts a goroutine that ranges over ch \(helpers.go:25\) and has no other exit, and nothing in this package closes jobs`
}

// Positive: a goroutine that loops in a helper of this package.
type svc struct{ tick *time.Ticker }

func (s *svc) loop() { // want loop:"loops \\(param -1\\)"
	for range s.tick.C {
	}
}

func (s *svc) run() { s.loop() } // want run:"loops \\(param -1\\)"

func (s *svc) kick() {
	go func() { s.run() }() // want `goroutine runs run, which ranges over s.tick.C, a ticker's channel that is never closed \(user.go:24\)`
}

// Look-alikes: a channel that is closed; a loop with a ctx exit; the caller's channel.
func quiet(ctx context.Context, in chan int) { // want quiet:"starts a goroutine that loops \\(param 1\\)"
	done := make(chan int)
	go helpers.Drain(done)
	close(done)
	go helpers.DrainCtx(ctx, make(chan int))
	helpers.StartWorker(in)
}

// Look-alike: a constructor starts its component's goroutine once; it lives as long as the
// process.
func NewPoller() {
	go func() {
		for range time.Tick(time.Second) {
		}
	}()
}

// Positive: a constructor that starts goroutines in a loop.
func NewPool(n int) {
	for i := 0; i < n; i++ {
		go func() {
			for range time.Tick(time.Second) { // want `goroutine ranges over time.Tick\(\)`
			}
		}()
	}
}
