package grace_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

// closedWith returns a closed channel holding the values 0 to n-1.
func closedWith(n int) chan int {
	ch := make(chan int, n)
	for i := range n {
		ch <- i
	}
	close(ch)
	return ch
}

// The second case, from Consume's doc: a channel already closed with 1,000 values, a
// handler at 5 ms a value. With room in its limit, every value is handled and the stop is clean.
func TestConsumeDrainsAClosedChannelAtItsTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := closedWith(1000)
		var handled atomic.Int64
		started := make(chan struct{})
		app := newApp()
		app.Add("writer", grace.Consume(ch, func(ctx context.Context, v int) error {
			if v == 0 {
				close(started)
			}
			time.Sleep(5 * time.Millisecond)
			handled.Add(1)
			return nil
		}), grace.StopTimeout(10*time.Second))
		rep := stopAfter(t, app, started)
		if handled.Load() != 1000 || rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
			t.Errorf("handled %d of 1000, exit %d, lost %d:\n%s", handled.Load(), rep.ExitCode, rep.Lost, rep)
		}
	})
}

// The same with a 500 ms limit: the writer cannot finish; what it leaves is counted, exactly, and
// the stop is not clean.
func TestConsumeCountsWhatItCannotFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := closedWith(1000)
		var handled atomic.Int64
		app := newApp()
		app.Add("writer", grace.Consume(ch, func(ctx context.Context, v int) error {
			select {
			case <-time.After(7 * time.Millisecond): // not a divisor of the limit: no tie at the deadline
				handled.Add(1)
				return nil
			case <-ctx.Done():
				return ctx.Err() // cut: not written
			}
		}), grace.StopTimeout(500*time.Millisecond))
		rep := stopReady(t, app)
		c := rep.Component("writer")
		if handled.Load() == 0 || handled.Load() == 1000 {
			t.Fatalf("handled %d: the test wants a writer that gets some way and no further", handled.Load())
		}
		if rep.Lost != 1000-handled.Load() || c.Lost != rep.Lost || c.Unit != "values" {
			t.Errorf("handled %d, lost %d (component %+v): every value must be handled or counted", handled.Load(), rep.Lost, c.Account)
		}
		if rep.ExitCode != grace.ExitLost || !errors.Is(rep.Err, grace.ErrLost) || !c.TimedOut {
			t.Errorf("exit %d err %v timed out %v", rep.ExitCode, rep.Err, c.TimedOut)
		}
	})
}

// holding is an app whose Consume writer holds value 0 until the stop (stopWhileHeld), fails
// value fail with errBoom, and counts the values it handles.
type holding struct {
	app     *grace.App
	done    <-chan *grace.Report
	release chan struct{}
	handled atomic.Int64
}

// holdFirst runs, in a synctest bubble, an app with a writer consuming ch as holding says, and
// sends it the values 0 to n-1 (0 is then in hand, the others wait in ch).
func holdFirst(t *testing.T, ch chan int, n, fail int, opts ...grace.ConsumeOption) *holding {
	t.Helper()
	h := &holding{app: newApp(), release: make(chan struct{})}
	h.app.Add("writer", grace.Consume(ch, func(ctx context.Context, v int) error {
		switch v {
		case 0:
			<-h.release
		case fail:
			return errBoom
		}
		h.handled.Add(1)
		return nil
	}, opts...))
	h.done = runUntilReady(t, h.app)
	for i := range n {
		ch <- i
	}
	return h
}

// stopWhileHeld stops the app while the writer holds value 0, then lets it go, and returns the
// report.
func (h *holding) stopWhileHeld() *grace.Report {
	synctest.Wait()
	h.app.Stop("test")
	synctest.Wait()
	close(h.release)
	return <-h.done
}

// A channel nobody closes: at its turn the consumer handles what is buffered, then returns.
func TestConsumeDrainsWhatIsBufferedWhenNobodyCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := holdFirst(t, make(chan int, 10), 6, -1) // 0 is in hand, blocked; 1..5 are buffered
		rep := h.stopWhileHeld()
		if h.handled.Load() != 6 || rep.ExitCode != grace.ExitClean {
			t.Errorf("handled %d of 6, exit %d:\n%s", h.handled.Load(), rep.ExitCode, rep)
		}
	})
}

// On an unbuffered channel, a producer blocked in its send at the consumer's turn is served.
func TestConsumeServesASenderBlockedOnAnUnbufferedChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		h := holdFirst(t, ch, 1, -1)
		sent := make(chan struct{})
		go func() { ch <- 1; close(sent) }() // blocked: the consumer is busy with 0
		rep := h.stopWhileHeld()
		<-sent
		if h.handled.Load() != 2 || rep.ExitCode != grace.ExitClean {
			t.Errorf("handled %d of 2, exit %d", h.handled.Load(), rep.ExitCode)
		}
	})
}

func TestConsumeLeaveBufferedCountsWhatItLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := holdFirst(t, make(chan int, 10), 5, -1, grace.LeaveBuffered())
		rep := h.stopWhileHeld()
		if h.handled.Load() != 1 || rep.Lost != 4 || rep.ExitCode != grace.ExitLost {
			t.Errorf("handled %d (want the one in hand), lost %d (want 4), exit %d", h.handled.Load(), rep.Lost, rep.ExitCode)
		}
	})
}

// An abandoned consumer (its handle ignores ctx) counts the value in hand and what is buffered.
func TestConsumeAbandonedCountsInHandAndBuffered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int, 10)
		release := make(chan struct{})
		app := newApp()
		app.Add("writer", grace.Consume(ch, func(ctx context.Context, v int) error {
			<-release // ignores ctx
			return nil
		}), grace.StopTimeout(time.Second))
		done := runUntilReady(t, app)
		for i := range 4 {
			ch <- i
		}
		synctest.Wait()
		app.Stop("test")
		rep := <-done
		close(release)
		c := rep.Component("writer")
		if c.State != grace.StateAbandoned || rep.Lost != 4 || rep.ExitCode != grace.ExitLost {
			t.Errorf("state %s lost %d exit %d; want abandoned, 4 (1 in hand + 3 buffered), %d", c.State, rep.Lost, rep.ExitCode, grace.ExitLost)
		}
	})
}

// With RestartOnPanic, a stop that comes while the worker waits to restart still drains, and the
// value whose handle panicked is counted.
func TestConsumeRestartedAfterPanicStillDrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int, 10)
		var handled atomic.Int64
		app := newApp()
		app.Add("writer", grace.Consume(ch, func(ctx context.Context, v int) error {
			if v == 0 {
				panic("bad value")
			}
			handled.Add(1)
			return nil
		}), grace.RestartOnPanic(time.Hour, time.Hour))
		done := runUntilReady(t, app)
		for i := range 5 {
			ch <- i
		}
		synctest.Wait() // 0 panicked; the worker waits an hour to restart
		app.Stop("test")
		rep := <-done
		if handled.Load() != 4 || rep.Lost != 1 || rep.Component("writer").Restarts != 1 {
			t.Errorf("handled %d (want 4), lost %d (want 1, the panicked value):\n%s", handled.Load(), rep.Lost, rep)
		}
	})
}

// The producer → queue → writer shape of Consume's doc: producers that depend on the writer, a
// hook that closes the queue after them. Nothing is lost when the writer can catch up.
func TestConsumeProducerQueueWriterLosesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		queue := make(chan int, 64)
		var mu sync.Mutex
		journal := map[int]bool{}
		var accepted atomic.Int64
		app := newApp()
		app.Add("writer", grace.Consume(queue, func(ctx context.Context, v int) error {
			time.Sleep(time.Millisecond) // a backlog: slower than the producers
			mu.Lock()
			journal[v] = true
			mu.Unlock()
			return nil
		}), grace.StopTimeout(5*time.Second))
		app.Add("close-queue", grace.Hook{OnStop: func(context.Context) error { close(queue); return nil }})
		for p := range 3 {
			app.Add("producer"+string(rune('a'+p)), grace.Ticker(100*time.Microsecond, func(ctx context.Context) error {
				queue <- int(accepted.Add(1))
				return nil
			}), grace.DependsOn("close-queue"))
		}
		done := runUntilReady(t, app)
		time.Sleep(50 * time.Millisecond)
		app.Stop("test")
		rep := <-done
		mu.Lock()
		defer mu.Unlock()
		if int64(len(journal)) != accepted.Load() || rep.ExitCode != grace.ExitClean || rep.Lost != 0 {
			t.Errorf("accepted %d, journalled %d, exit %d lost %d", accepted.Load(), len(journal), rep.ExitCode, rep.Lost)
		}
	})
}

func TestConsumeNilIsAConfigError(t *testing.T) {
	app := newApp()
	app.Add("writer", grace.Consume[int](nil, func(context.Context, int) error { return nil }))
	if _, err := app.Run(context.Background()); !errors.Is(err, grace.ErrInvalid) {
		t.Errorf("err %v", err)
	}
}

// A value that fails during the drain ends it: the stop fails with its error, and the failed
// value and those left behind it are counted.
func TestConsumeFailureEndsTheDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := holdFirst(t, make(chan int, 10), 5, 2)
		rep := h.stopWhileHeld()
		if h.handled.Load() != 2 || rep.Lost != 3 || !errors.Is(rep.Err, errBoom) || rep.ExitCode != grace.ExitLost {
			t.Errorf("handled %d (want 2), lost %d (want 3: the failed value and two left), err %v, exit %d", h.handled.Load(), rep.Lost, rep.Err, rep.ExitCode)
		}
	})
}

func TestConsumeExitsOnCancelAndOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int) // nobody ever closes it: the stop must not hang
		var got []int
		app := newApp()
		app.Add("consumer", grace.Consume(ch, func(ctx context.Context, v int) error {
			got = append(got, v)
			return nil
		}))
		done := runUntilReady(t, app)
		ch <- 1
		ch <- 2
		app.Stop("test")
		rep := <-done
		if len(got) != 2 || rep.ExitCode != grace.ExitClean || rep.StopDuration != 0 {
			t.Errorf("got %v exit %d stop %v", got, rep.ExitCode, rep.StopDuration)
		}
	})
	closed := make(chan string, 1)
	closed <- "last"
	close(closed)
	app := newApp()
	var handled []string
	app.Add("consumer", grace.Consume(closed, func(ctx context.Context, v string) error { handled = append(handled, v); return nil }))
	rep := stopReady(t, app)
	if rep.ExitCode != grace.ExitClean {
		t.Errorf("exit %d", rep.ExitCode)
	}
}

func TestConsumeHandlerErrorStopsTheApp(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	app := newApp()
	app.Add("consumer", grace.Consume(ch, func(ctx context.Context, v int) error { return errBoom }))
	rep, err := app.Run(context.Background())
	if !errors.Is(err, errBoom) || rep.ExitCode != grace.ExitCrashed {
		t.Errorf("err %v exit %d", err, rep.ExitCode)
	}
}
