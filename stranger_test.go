package grace_test

// Tests written from Consume's and LeaveBuffered's doc comments and the README alone, in the
// shape a user writes: a producer goroutine → a buffered channel → a Consume writer, stopped
// with App.Stop mid-stream. Each one tries to lose a value the producer managed to send and
// checks that every sent value is either handled or counted in the report.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gracekit/grace"
)

// strangerJobs is what a user keeps: the queue, the values sent into it and the values written.
type strangerJobs struct {
	ch      chan int
	sent    atomic.Int64
	mu      sync.Mutex
	written map[int]int   // value → times written
	wrote   chan struct{} // a value was written (not every write is announced)
}

func newStrangerJobs(queue int) *strangerJobs {
	return &strangerJobs{ch: make(chan int, queue), written: map[int]int{}, wrote: make(chan struct{}, 1)}
}

func (j *strangerJobs) write(v int) {
	j.mu.Lock()
	j.written[v]++
	j.mu.Unlock()
	select {
	case j.wrote <- struct{}{}:
	default:
	}
}

func (j *strangerJobs) count() (n int, dup bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range j.written {
		n += c
		if c > 1 {
			dup = true
		}
	}
	return n, dup
}

// balance fails t unless every value sent was written once or counted lost in rep, and returns
// how many were written and sent.
func (j *strangerJobs) balance(t *testing.T, rep *grace.Report) (n int, sent int64) {
	t.Helper()
	n, dup := j.count()
	sent = j.sent.Load()
	if dup {
		t.Fatalf("a value was written twice\n%s", rep)
	}
	if int64(n)+rep.Lost != sent {
		t.Fatalf("producers sent %d, writer wrote %d, report says lost %d: %d values vanished\n%s",
			sent, n, rep.Lost, sent-int64(n)-rep.Lost, rep)
	}
	return n, sent
}

// producer sends 0, 1, 2… into the queue until its ctx ends, counting only the sends that
// happened. Values start at base, so two producers never send the same value.
func (j *strangerJobs) producer(base int) grace.RunFunc {
	return func(ctx context.Context) error {
		for i := base; ; i++ {
			select {
			case j.ch <- i:
				j.sent.Add(1)
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// slowWriter is a handle that takes a little time per value: the queue fills up.
func (j *strangerJobs) slowWriter(ctx context.Context, v int) error {
	time.Sleep(200 * time.Microsecond)
	j.write(v)
	return nil
}

// strangerApp is an app with a 5 s budget and no drain delay.
func strangerApp(opts ...grace.Option) *grace.App {
	return grace.New(append([]grace.Option{grace.WithBudget(5 * time.Second), grace.WithDrainDelay(0)}, opts...)...)
}

// writerStopping returns an observer option and a channel it closes when the writer's stop
// begins.
func writerStopping() (grace.Option, <-chan struct{}) {
	stopping := make(chan struct{})
	var once sync.Once
	return grace.WithObserver(func(e grace.Event) {
		if e.Kind == grace.EventStopping && e.Component == "writer" {
			once.Do(func() { close(stopping) })
		}
	}), stopping
}

// runStopped runs app, calls before (which waits for the moment to stop) then App.Stop, and
// returns the report and Run's error.
func runStopped(t *testing.T, app *grace.App, before func()) (*grace.Report, error) {
	t.Helper()
	type result struct {
		rep *grace.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := app.Run(context.Background())
		done <- result{rep, err}
	}()
	before()
	app.Stop("test")
	select {
	case r := <-done:
		return r.rep, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after App.Stop")
		return nil, nil
	}
}

// runMidStream runs app until the writer has written `after` values, stops it, and returns the
// report and Run's error.
func (j *strangerJobs) runMidStream(t *testing.T, app *grace.App, after int) (*grace.Report, error) {
	t.Helper()
	return runStopped(t, app, func() {
		deadline := time.After(10 * time.Second)
		for i := 0; i < after; i++ {
			select {
			case <-j.wrote:
			case <-deadline:
				t.Fatalf("the writer wrote %d values of %d in 10 s", i, after)
			}
		}
	})
}

// The README's shape: register the writer first and the producer after it (the safe default
// makes the producer depend on it), stop mid-stream. Consume's doc: at its turn the writer
// handles what is buffered, so every value the producer sent is written, nothing is lost, and
// the exit code is clean.
func TestStrangerConsumeDrainsWhatProducerSent(t *testing.T) {
	j := newStrangerJobs(256)
	app := strangerApp()
	app.Add("writer", grace.Consume(j.ch, j.slowWriter))
	app.Add("producer", j.producer(0))
	j.cleanStop(t, app)
}

// Same shape with explicit dependencies and a Hook that closes ch after the producers stop, as
// Consume's doc suggests: everything sent before the close is handled.
func TestStrangerConsumeCloseInHook(t *testing.T) {
	j := newStrangerJobs(256)
	app := strangerApp()
	app.Add("writer", grace.Consume(j.ch, j.slowWriter), grace.DependsOn())
	app.Add("close-queue", grace.Hook{OnStop: func(context.Context) error { close(j.ch); return nil }},
		grace.DependsOn("writer"))
	app.Add("producer-a", j.producer(0), grace.DependsOn("close-queue"))
	app.Add("producer-b", j.producer(1<<30), grace.DependsOn("close-queue"))
	j.cleanStop(t, app)
}

// cleanStop stops app mid-stream and fails t unless every value sent was written, once, and the
// stop was clean with nothing lost or left in the queue.
func (j *strangerJobs) cleanStop(t *testing.T, app *grace.App) {
	t.Helper()
	rep, err := j.runMidStream(t, app, 300)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	j.balance(t, rep)
	if rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Fatalf("lost %d, exit code %d; want 0, 0\n%s", rep.Lost, rep.ExitCode, rep)
	}
	if len(j.ch) != 0 {
		t.Fatalf("%d values left in the queue after a clean stop", len(j.ch))
	}
}

// LeaveBuffered's doc: the writer stops after the value in hand and leaves the rest, counted as
// lost, so the exit code is ExitLost. Nothing may vanish: written + lost = sent.
func TestStrangerConsumeLeaveBufferedCountsTheRest(t *testing.T) {
	j := newStrangerJobs(256)
	app := strangerApp()
	app.Add("writer", grace.Consume(j.ch, j.slowWriter, grace.LeaveBuffered()))
	app.Add("producer", j.producer(0))

	rep, err := j.runMidStream(t, app, 300)
	n, sent := j.balance(t, rep)
	if rep.Lost == 0 {
		t.Fatalf("the slow writer left nothing in a full queue? sent %d, wrote %d\n%s", sent, n, rep)
	}
	if rep.Lost != int64(len(j.ch)) {
		t.Fatalf("report says lost %d, the queue holds %d", rep.Lost, len(j.ch))
	}
	if c := rep.Component("writer"); c == nil || c.Lost != rep.Lost || c.Unit != "values" {
		t.Fatalf("writer's account %+v, want %d values lost", c, rep.Lost)
	}
	if rep.ExitCode != grace.ExitLost || !errors.Is(err, grace.ErrLost) {
		t.Fatalf("exit code %d, err %v; want ExitLost and ErrLost\n%s", rep.ExitCode, err, rep)
	}
}

// The writer cannot catch up within its limit: the doc says handle's ctx is cancelled at the
// deadline, no further value is taken, the component times out, and the value cut (handle
// returned ctx's error) and the values left are lost. written + lost = sent, exit code is not
// clean, and Run's error matches ErrLost.
func TestStrangerConsumeCutAtLimitCountsEverything(t *testing.T) {
	j := newStrangerJobs(4096)
	observe, stopping := writerStopping()
	handle := func(ctx context.Context, v int) error {
		select {
		case <-stopping: // once the stop began, each value takes long: the limit cuts the drain
			select {
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
		}
		j.write(v)
		return nil
	}
	app := strangerApp(observe)
	app.Add("writer", grace.Consume(j.ch, handle), grace.StopTimeout(300*time.Millisecond))
	app.Add("producer", j.producer(0))

	rep, err := j.runMidStream(t, app, 2000)
	j.balance(t, rep)
	if rep.Lost == 0 || !errors.Is(err, grace.ErrLost) || rep.ExitCode == grace.ExitClean {
		t.Fatalf("lost %d, exit code %d, err %v; want values lost, ErrLost, not clean\n%s", rep.Lost, rep.ExitCode, err, rep)
	}
	if c := rep.Component("writer"); c == nil || !c.TimedOut {
		t.Fatalf("writer not reported as timed out: %+v", c)
	}
}

// Consume's doc: an error from handle during the drain ends the drain; the value that failed and
// the rest are left and counted as lost, and the stop fails (an error just before the drain stops
// the app and the drain still runs). Either way written + lost = sent, and the exit code is not
// clean.
func TestStrangerConsumeErrorDuringDrainCountsTheRest(t *testing.T) {
	j := newStrangerJobs(256)
	observe, stopping := writerStopping()
	var drained atomic.Int64
	errDisk := errors.New("disk full")
	handle := func(ctx context.Context, v int) error {
		select {
		case <-stopping:
			if drained.Add(1) == 5 { // the fifth value of the drain fails
				return errDisk
			}
		default:
		}
		return j.slowWriter(ctx, v)
	}
	app := strangerApp(observe)
	app.Add("writer", grace.Consume(j.ch, handle))
	app.Add("producer", j.producer(0))

	rep, err := j.runMidStream(t, app, 300)
	j.balance(t, rep)
	if drained.Load() < 5 {
		t.Fatalf("the drain handled %d values: the queue was not full enough to provoke the error", drained.Load())
	}
	if !errors.Is(err, errDisk) || !errors.Is(err, grace.ErrLost) || rep.ExitCode == grace.ExitClean {
		t.Fatalf("err %v, exit code %d; want the handler's error, ErrLost, not clean\n%s", err, rep.ExitCode, rep)
	}
	// Whether the drain ended at the failed value depends on which side of the stop's start the
	// failure fell (EventStopping comes just before the worker sees its turn; a failure in that
	// window is a worker's error, after which the stop still drains), so only the accounting is
	// checked: nothing vanished, and the loss is in the error and the exit code.
}

// Consume's doc: with RestartOnPanic a panic restarts the worker, and a stop that comes while it
// waits to restart is still drained, by the component's Stop. The value that panicked is counted
// as lost; everything else the producer sent is written.
func TestStrangerConsumePanicThenStopDuringBackoff(t *testing.T) {
	j := newStrangerJobs(256)
	panicked := make(chan struct{})
	var once sync.Once
	handle := func(ctx context.Context, v int) error {
		if v == 100 {
			once.Do(func() { close(panicked) })
			panic("bad value")
		}
		j.write(v)
		return nil
	}
	app := strangerApp()
	app.Add("writer", grace.Consume(j.ch, handle), grace.RestartOnPanic(time.Minute, time.Minute))
	app.Add("producer", j.producer(0))

	rep, _ := runStopped(t, app, func() {
		select {
		case <-panicked:
		case <-time.After(10 * time.Second):
			t.Fatal("the handler never reached value 100")
		}
		// The worker waits a minute to restart; the producer fills the queue meanwhile.
		deadline := time.After(10 * time.Second)
		for len(j.ch) < cap(j.ch) {
			select {
			case <-deadline:
				t.Fatalf("the queue holds %d of %d after 10 s", len(j.ch), cap(j.ch))
			case <-time.After(time.Millisecond):
			}
		}
	})
	n, sent := j.balance(t, rep)
	if rep.Lost != 1 || len(j.ch) != 0 {
		t.Fatalf("lost %d (want 1: the value that panicked), %d left in the queue\n%s", rep.Lost, len(j.ch), rep)
	}
	if rep.ExitCode != grace.ExitLost {
		t.Fatalf("exit code %d, want ExitLost\n%s", rep.ExitCode, rep)
	}
	t.Logf("sent %d, written %d, lost %d\n%s", sent, n, rep.Lost, rep)
}
