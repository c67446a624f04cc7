package gracefx_test

// Written from the package doc and doc comments alone, in the shape an fx user writes: a queue
// whose OnStop flushes what is queued, and a producer appended after it that puts values in the
// queue until it asks the app to stop through fx.Shutdowner, mid-stream. Module must stop the
// producer's hook before the queue's (reverse order), so the flush writes everything the
// producer put in; a flush that hangs must be abandoned at its limit, named in the report, fail
// the exit code, and not keep the hooks appended before it from running.

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/fx"
)

type strangerQueue struct {
	in      chan int
	done    chan struct{}
	hang    chan struct{} // when set, the flush blocks on it once the stop began
	stopped chan struct{}
	mu      sync.Mutex
	flushed []int
}

func (q *strangerQueue) written() []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]int(nil), q.flushed...)
}

func newStrangerQueue(lc fx.Lifecycle, hang chan struct{}) *strangerQueue {
	q := &strangerQueue{in: make(chan int, 512), done: make(chan struct{}), hang: hang, stopped: make(chan struct{})}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(q.done)
				for v := range q.in {
					select {
					case <-q.stopped:
						if q.hang != nil {
							<-q.hang
						}
					default:
					}
					time.Sleep(50 * time.Microsecond) // a slow sink
					q.mu.Lock()
					q.flushed = append(q.flushed, v)
					q.mu.Unlock()
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error { // flush what is queued
			close(q.stopped)
			close(q.in)
			select {
			case <-q.done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	})
	return q
}

type strangerProducer struct {
	mu   sync.Mutex
	sent []int
}

func newStrangerProducer(lc fx.Lifecycle, q *strangerQueue, sd fx.Shutdowner) *strangerProducer {
	p := &strangerProducer{}
	stop, done := make(chan struct{}), make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				for i := 0; ; i++ {
					select {
					case q.in <- i:
						p.mu.Lock()
						p.sent = append(p.sent, i)
						p.mu.Unlock()
						if i == 600 { // the queue (512) is nearly full by now
							_ = sd.Shutdown() // stop mid-stream, from inside
						}
					case <-stop:
						return
					}
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			close(stop)
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	})
	return p
}

func runStrangerFx(t *testing.T, hang chan struct{}, opts ...gracefx.Option) (*grace.Report, error, *strangerQueue, *strangerProducer, *bool) {
	t.Helper()
	app := grace.New(grace.WithBudget(5*time.Second), grace.WithDrainDelay(0))
	var q *strangerQueue
	var p *strangerProducer
	dbClosed := false
	fapp := fx.New(
		fx.NopLogger,
		gracefx.Module(app, opts...),
		fx.Supply(hang),
		fx.Invoke(func(lc fx.Lifecycle) { // a "db" appended first: closed last
			lc.Append(fx.Hook{OnStop: func(context.Context) error { dbClosed = true; return nil }})
		}),
		fx.Provide(newStrangerQueue, newStrangerProducer),
		fx.Populate(&q, &p),
	)
	if err := fapp.Err(); err != nil {
		t.Fatalf("fx.New: %v", err)
	}
	r := testkit.Run(t, app)
	select {
	case <-r.Ended():
		res := r.Wait(t)
		return res.Report, res.Err, q, p, &dbClosed
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return in 15 s: did Shutdowner reach the app?")
		return nil, nil, nil, nil, nil
	}
}

func strangerHook(rep *grace.Report, suffix string) *grace.ComponentReport {
	for i := range rep.Components {
		if strings.HasSuffix(rep.Components[i].Name, suffix) {
			return &rep.Components[i]
		}
	}
	return nil
}

func TestStrangerFxQueueFlushedAtStop(t *testing.T) {
	rep, err, q, p, dbClosed := runStrangerFx(t, nil)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	sent, written := p.sent, q.written()
	if len(sent) < 600 || len(written) != len(sent) {
		t.Fatalf("producer put %d values in the queue, the flush wrote %d\n%s", len(sent), len(written), rep)
	}
	for i, v := range written {
		if v != sent[i] {
			t.Fatalf("value %d written as %d, sent as %d", i, v, sent[i])
		}
	}
	if rep.ExitCode != grace.ExitClean || !*dbClosed {
		t.Fatalf("exit code %d, db closed %v\n%s", rep.ExitCode, *dbClosed, rep)
	}
	pr, qr := strangerHook(rep, "newStrangerProducer"), strangerHook(rep, "newStrangerQueue")
	if pr == nil || qr == nil {
		t.Fatalf("report does not name the hooks after their constructors\n%s", rep)
	}
	if !pr.StopAt.Before(qr.StopAt) || pr.StopAt.Add(pr.Stop).After(qr.StopAt) {
		t.Fatalf("the producer's OnStop did not end before the queue's began\n%s", rep)
	}
	if rep.Trigger.Reason == "" || !strings.Contains(rep.Trigger.Reason+rep.String(), "Shutdowner") {
		t.Errorf("the trigger does not name fx.Shutdowner: %+v", rep.Trigger)
	}
}

func TestStrangerFxHungFlushAbandonedAndNamed(t *testing.T) {
	hang := make(chan struct{})
	rep, err, q, _, dbClosed := runStrangerFx(t, hang, gracefx.WithStopTimeout(300*time.Millisecond))
	close(hang) // let the abandoned flush end, for the leak check
	select {
	case <-q.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned flush did not end 10 s after it was let go")
	}
	qr := strangerHook(rep, "newStrangerQueue")
	if qr == nil || !qr.TimedOut {
		t.Fatalf("the hung flush is not named as timed out\n%s", rep)
	}
	if err == nil || rep.ExitCode == grace.ExitClean {
		t.Fatalf("a flush cut at its limit gave a clean exit (err %v, code %d)\n%s", err, rep.ExitCode, rep)
	}
	if !*dbClosed {
		t.Fatalf("the hook appended before the hung one did not run\n%s", rep)
	}
}
