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

// strangerJobs is what a user keeps: the values sent into the queue and the values written.
type strangerJobs struct {
	sent    atomic.Int64
	mu      sync.Mutex
	written map[int]int // value → times written
}

func (j *strangerJobs) write(v int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.written[v]++
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

// producer sends 0, 1, 2… into ch until its ctx ends, counting only the sends that happened.
// Values start at base, so two producers never send the same value.
func producer(ch chan<- int, j *strangerJobs, base int) grace.RunFunc {
	return func(ctx context.Context) error {
		for i := base; ; i++ {
			select {
			case ch <- i:
				j.sent.Add(1)
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// runMidStream runs app until the writer has written `after` values, stops it, and returns the
// report and Run's error.
func runMidStream(t *testing.T, app *grace.App, written <-chan struct{}, after int) (*grace.Report, error) {
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
	deadline := time.After(10 * time.Second)
	for i := 0; i < after; i++ {
		select {
		case <-written:
		case <-deadline:
			t.Fatalf("the writer wrote %d values of %d in 10 s", i, after)
		}
	}
	app.Stop("test: mid-stream")
	select {
	case r := <-done:
		return r.rep, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after App.Stop")
		return nil, nil
	}
}

// slowWriter returns a handle that takes a little time per value and signals each write.
func slowWriter(j *strangerJobs, written chan<- struct{}) func(context.Context, int) error {
	return func(ctx context.Context, v int) error {
		time.Sleep(200 * time.Microsecond) // a slow consumer: the buffer fills up
		j.write(v)
		select {
		case written <- struct{}{}:
		default:
		}
		return nil
	}
}

// The README's shape: register the writer first and the producer after it (the safe default
// makes the producer depend on it), stop mid-stream. Consume's doc: at its turn the writer
// handles what is buffered, so every value the producer sent is written, nothing is lost, and
// the exit code is clean.
func TestStrangerConsumeDrainsWhatProducerSent(t *testing.T) {
	j := &strangerJobs{written: map[int]int{}}
	ch := make(chan int, 256)
	written := make(chan struct{}, 1)
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0))
	app.Add("writer", grace.Consume(ch, slowWriter(j, written)))
	app.Add("producer", producer(ch, j, 0))

	rep, err := runMidStream(t, app, written, 300)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	n, dup := j.count()
	if int64(n) != j.sent.Load() || dup {
		t.Fatalf("producer sent %d values, writer wrote %d (duplicates: %v)\n%s", j.sent.Load(), n, dup, rep)
	}
	if rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Fatalf("lost %d, exit code %d; want 0, 0\n%s", rep.Lost, rep.ExitCode, rep)
	}
	if len(ch) != 0 {
		t.Fatalf("%d values left in the queue after a clean stop", len(ch))
	}
}

// Same shape with explicit dependencies and a Hook that closes ch after the producers stop, as
// Consume's doc suggests: everything sent before the close is handled.
func TestStrangerConsumeCloseInHook(t *testing.T) {
	j := &strangerJobs{written: map[int]int{}}
	ch := make(chan int, 256)
	written := make(chan struct{}, 1)
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0))
	app.Add("writer", grace.Consume(ch, slowWriter(j, written)), grace.DependsOn())
	app.Add("close-queue", grace.Hook{OnStop: func(context.Context) error { close(ch); return nil }},
		grace.DependsOn("writer"))
	app.Add("producer-a", producer(ch, j, 0), grace.DependsOn("close-queue"))
	app.Add("producer-b", producer(ch, j, 1<<30), grace.DependsOn("close-queue"))

	rep, err := runMidStream(t, app, written, 300)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	n, dup := j.count()
	if int64(n) != j.sent.Load() || dup {
		t.Fatalf("producers sent %d values, writer wrote %d (duplicates: %v)\n%s", j.sent.Load(), n, dup, rep)
	}
	if rep.Lost != 0 || rep.ExitCode != grace.ExitClean {
		t.Fatalf("lost %d, exit code %d; want 0, 0\n%s", rep.Lost, rep.ExitCode, rep)
	}
}

// LeaveBuffered's doc: the writer stops after the value in hand and leaves the rest, counted as
// lost, so the exit code is ExitLost. Nothing may vanish: written + lost = sent.
func TestStrangerConsumeLeaveBufferedCountsTheRest(t *testing.T) {
	j := &strangerJobs{written: map[int]int{}}
	ch := make(chan int, 256)
	written := make(chan struct{}, 1)
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0))
	app.Add("writer", grace.Consume(ch, slowWriter(j, written), grace.LeaveBuffered()))
	app.Add("producer", producer(ch, j, 0))

	rep, err := runMidStream(t, app, written, 300)
	n, dup := j.count()
	sent := j.sent.Load()
	if dup {
		t.Fatalf("a value was written twice\n%s", rep)
	}
	if int64(n)+rep.Lost != sent {
		t.Fatalf("producer sent %d, writer wrote %d, report says lost %d: %d values vanished\n%s",
			sent, n, rep.Lost, sent-int64(n)-rep.Lost, rep)
	}
	if rep.Lost == 0 {
		t.Fatalf("the slow writer left nothing in a full queue? sent %d, wrote %d\n%s", sent, n, rep)
	}
	if rep.Lost != int64(len(ch)) {
		t.Fatalf("report says lost %d, the queue holds %d", rep.Lost, len(ch))
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
	j := &strangerJobs{written: map[int]int{}}
	ch := make(chan int, 4096)
	written := make(chan struct{}, 1)
	stopping := make(chan struct{})
	var once sync.Once
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
		select {
		case written <- struct{}{}:
		default:
		}
		return nil
	}
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0),
		grace.WithObserver(func(e grace.Event) {
			if e.Kind == grace.EventStopping && e.Component == "writer" {
				once.Do(func() { close(stopping) })
			}
		}))
	app.Add("writer", grace.Consume(ch, handle), grace.StopTimeout(300*time.Millisecond))
	app.Add("producer", producer(ch, j, 0))

	rep, err := runMidStream(t, app, written, 2000)
	n, dup := j.count()
	sent := j.sent.Load()
	if dup {
		t.Fatalf("a value was written twice\n%s", rep)
	}
	if int64(n)+rep.Lost != sent {
		t.Fatalf("producer sent %d, writer wrote %d, report says lost %d: %d values vanished\n%s",
			sent, n, rep.Lost, sent-int64(n)-rep.Lost, rep)
	}
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
	j := &strangerJobs{written: map[int]int{}}
	ch := make(chan int, 256)
	written := make(chan struct{}, 1)
	stopping := make(chan struct{})
	var once sync.Once
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
		time.Sleep(200 * time.Microsecond) // a slow consumer: the queue fills up
		j.write(v)
		select {
		case written <- struct{}{}:
		default:
		}
		return nil
	}
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0),
		grace.WithObserver(func(e grace.Event) {
			if e.Kind == grace.EventStopping && e.Component == "writer" {
				once.Do(func() { close(stopping) })
			}
		}))
	app.Add("writer", grace.Consume(ch, handle))
	app.Add("producer", producer(ch, j, 0))

	rep, err := runMidStream(t, app, written, 300)
	n, dup := j.count()
	sent := j.sent.Load()
	if dup {
		t.Fatalf("a value was written twice\n%s", rep)
	}
	if drained.Load() < 5 {
		t.Fatalf("the drain handled %d values: the queue was not full enough to provoke the error", drained.Load())
	}
	if int64(n)+rep.Lost != sent {
		t.Fatalf("producer sent %d, writer wrote %d, report says lost %d: %d values vanished\n%s",
			sent, n, rep.Lost, sent-int64(n)-rep.Lost, rep)
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
	j := &strangerJobs{written: map[int]int{}}
	ch := make(chan int, 256)
	written := make(chan struct{}, 1)
	panicked := make(chan struct{})
	var once sync.Once
	handle := func(ctx context.Context, v int) error {
		if v == 100 {
			once.Do(func() { close(panicked) })
			panic("bad value")
		}
		j.write(v)
		select {
		case written <- struct{}{}:
		default:
		}
		return nil
	}
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0))
	app.Add("writer", grace.Consume(ch, handle), grace.RestartOnPanic(time.Minute, time.Minute))
	app.Add("producer", producer(ch, j, 0))

	type result struct {
		rep *grace.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := app.Run(context.Background())
		done <- result{rep, err}
	}()
	select {
	case <-panicked:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never reached value 100")
	}
	// The worker waits a minute to restart; the producer fills the queue meanwhile.
	deadline := time.After(10 * time.Second)
	for len(ch) < cap(ch) {
		select {
		case <-deadline:
			t.Fatalf("the queue holds %d of %d after 10 s", len(ch), cap(ch))
		case <-time.After(time.Millisecond):
		}
	}
	app.Stop("test: during the restart backoff")
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after App.Stop")
	}
	n, dup := j.count()
	sent := j.sent.Load()
	if dup {
		t.Fatalf("a value was written twice\n%s", r.rep)
	}
	if int64(n)+r.rep.Lost != sent {
		t.Fatalf("producer sent %d, writer wrote %d, report says lost %d: %d values vanished\n%s",
			sent, n, r.rep.Lost, sent-int64(n)-r.rep.Lost, r.rep)
	}
	if r.rep.Lost != 1 || len(ch) != 0 {
		t.Fatalf("lost %d (want 1: the value that panicked), %d left in the queue\n%s", r.rep.Lost, len(ch), r.rep)
	}
	if r.rep.ExitCode != grace.ExitLost {
		t.Fatalf("exit code %d, want ExitLost\n%s", r.rep.ExitCode, r.rep)
	}
	t.Logf("sent %d, written %d, lost %d\n%s", sent, n, r.rep.Lost, r.rep)
}
