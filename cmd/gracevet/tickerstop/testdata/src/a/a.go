package a

import (
	"context"
	"log"
	"time"
)

func work() {}

// Positive: returns on ctx.Done() without stopping the ticker.
func poll(ctx context.Context) {
	t := time.NewTicker(time.Second) // want `ticker t is not stopped on the path that returns at line 19: it keeps firing \(and its goroutine's work keeps running\) after shutdown; defer t.Stop\(\) after creating it`
	for {
		select {
		case <-t.C:
			work()
		case <-ctx.Done():
			return
		}
	}
}

// Positive: stopped on one path only.
func partial(ctx context.Context, once bool) error {
	var t = time.NewTicker(time.Second) // want `ticker t is not stopped on the path that returns at line 33`
	if once {
		<-t.C
		t.Stop()
		return nil
	}
	<-t.C
	return ctx.Err()
}

// Positive: falls off the end; created inside a loop body, so no fix.
func loop(ctx context.Context) {
	for i := 0; i < 3; i++ {
		t := time.NewTicker(time.Second) // want `ticker t is not stopped on the path that falls off the end of the function`
		<-t.C
	}
}

// Look-alike: defer t.Stop().
func deferred(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// Look-alike: stopped in a deferred closure.
func deferredClosure(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer func() { t.Stop() }()
	<-ctx.Done()
}

// Look-alike: stopped before each return.
func stoppedEverywhere(ctx context.Context) {
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// Look-alike: a loop that never ends is not a path out (chanloop reports the loop itself).
func forever() {
	t := time.NewTicker(time.Second)
	for range t.C {
		work()
	}
}

// Look-alike: paths that end the process.
func fatal() {
	t := time.NewTicker(time.Second)
	<-t.C
	log.Fatal("tick")
}

// Look-alike: the ticker is handed to its owner.
type poller struct{ t *time.Ticker }

func newPoller() *poller {
	t := time.NewTicker(time.Second)
	return &poller{t: t}
}

func returned() *time.Ticker {
	t := time.NewTicker(time.Second)
	return t
}

func stored(p *poller) {
	p.t = time.NewTicker(time.Second)
}

// Look-alike: a stop inside a goroutine started on the path counts.
func stopAsync(ctx context.Context) {
	t := time.NewTicker(time.Second)
	go func() {
		<-ctx.Done()
		t.Stop()
	}()
}

// Look-alike: select-after-case is no exit; for true is endless.
func forTrue(ctx context.Context) {
	t := time.NewTicker(time.Second)
	for true {
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
