package a

import (
	"context"
	"log"
	"os"
	"os/signal"
	"time"
)

type job struct{}

func handle(job) {}

// Positive: a worker over a channel that nothing closes.
func enqueue() chan<- job {
	jobs := make(chan job, 8)
	go func() {
		for j := range jobs { // want `goroutine ranges over jobs, which nothing in this package closes, and has no ctx.Done\(\) case or other exit: it leaks at shutdown`
			handle(j)
		}
	}()
	jobs <- job{}
	return nil
}

// Positive: an endless receive loop with no ctx.Done() case.
func pump(in chan job) {
	go func() {
		for { // want `goroutine loops forever receiving from in with no ctx.Done\(\) case and no return or break: it leaks at shutdown; add case <-ctx.Done\(\): return`
			j := <-in
			handle(j)
		}
	}()
}

// Positive: a ticker's channel is never closed; for true is endless too.
func poll() {
	t := time.NewTicker(time.Second)
	go func() {
		for range t.C { // want `goroutine ranges over t.C, a ticker's channel that is never closed \(Stop does not close it\)`
		}
	}()
	go func() {
		for range time.Tick(time.Second) { // want `goroutine ranges over time.Tick\(\)`
		}
	}()
}

// Positive: break in a select leaves the select, not the loop.
func selectBreak(tick <-chan time.Time, stop <-chan struct{}) {
	go func() {
		for { // want `goroutine loops forever receiving from tick`
			select {
			case <-tick:
			case <-stop:
				break
			}
		}
	}()
}

// Positive: a declared function started with go, its parameter mapped to the argument.
type server struct{ events chan string }

func (s *server) consume(ch chan string) { // want consume:"loops \\(param 0\\): ranges over its parameter ch"
	for e := range ch { // want `goroutine ranges over ch, which nothing in this package closes`
		_ = e
	}
}

func (s *server) resume() {
	s.events = make(chan string)
	go s.consume(s.events)
	go s.consume(s.events) // reported once
}

// Look-alike: the loop selects on ctx.Done() and returns.
func withCtx(ctx context.Context, in chan job) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case j := <-in:
				handle(j)
			}
		}
	}()
}

// Look-alike: the channel is closed by its owner.
func closed() {
	jobs := make(chan job)
	go func() {
		for j := range jobs {
			handle(j)
		}
	}()
	close(jobs)
}

// Look-alike: the channel is handed to a producer that may close it.
func produce(out chan<- job) { close(out) }

func handedOff() {
	jobs := make(chan job)
	go produce(jobs)
	go func() {
		for j := range jobs {
			handle(j)
		}
	}()
}

// Look-alike: a parameter's channel belongs to the caller.
func consumeParam(in <-chan job) { // want consumeParam:"starts a goroutine that loops \\(param 0\\)"
	go func() {
		for j := range in {
			handle(j)
		}
	}()
}

// Look-alike: the loop returns when the channel is closed.
func okClosed(in chan job) {
	go func() {
		for {
			j, ok := <-in
			if !ok {
				return
			}
			handle(j)
		}
	}()
}

// Look-alike: a labeled break leaves the loop from inside the select.
func labeled(tick <-chan time.Time, stop <-chan struct{}) {
	go func() {
	loop:
		for {
			select {
			case <-tick:
			case <-stop:
				break loop
			}
		}
	}()
}

// Look-alike: the loop ends the process itself.
func fatalLoop(errs chan error) {
	go func() {
		for {
			log.Fatal(<-errs)
		}
	}()
}

// Look-alike: a loop with a condition, and a loop not in a goroutine.
func notGoroutine(in chan job, n int) {
	for {
		j := <-in
		handle(j)
		if n == 0 {
			break
		}
	}
	go func() {
		for i := 0; i < n; i++ {
			<-in
		}
	}()
}

// Look-alike: ticker loop with a ctx.Done() exit.
func tickerOK(ctx context.Context, poll func(time.Time)) {
	t := time.NewTicker(time.Second)
	go func() {
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				poll(now)
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Look-alike: an exported field may be closed by another package.
type Bus struct{ C chan string }

func (b *Bus) Run() {
	go func() {
		for m := range b.C {
			_ = m
		}
	}()
}

// Look-alike: a signal channel passed to signal.Notify is ranged by a loop that exits.
func signals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		for s := range ch {
			if s == os.Interrupt {
				return
			}
		}
	}()
}

// Look-alike: a loop over signals is the process's signal handler.
func reloadOnHUP(reload func(os.Signal)) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		for s := range ch {
			reload(s)
		}
	}()
}
