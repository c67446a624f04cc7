package grace_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
)

// A service with a database, a queue consumer that uses it, and a ticker job: declared
// dependencies make the consumer and the job stop before the database closes.
func ExampleApp() {
	app := grace.New(
		grace.WithBudget(25*time.Second), // the whole stop, drain delay included
		grace.WithDrainDelay(0),          // behind a load balancer: its health-check interval × fall
		grace.WithLogger(slog.New(slog.DiscardHandler)),
	)
	orders := make(chan string)
	app.Add("db", grace.Hook{
		OnStart: func(ctx context.Context) error { fmt.Println("db open"); return nil },
		OnStop:  func(ctx context.Context) error { fmt.Println("db closed"); return nil },
	})
	app.Add("consumer", grace.Consume(orders, func(ctx context.Context, id string) error {
		fmt.Println("fulfilled", id)
		return nil
	}), grace.DependsOn("db"))
	app.Add("expire", grace.Ticker(time.Hour, func(ctx context.Context) error { return nil }),
		grace.DependsOn("db"), grace.StopTimeout(5*time.Second))

	go func() {
		<-app.Await(grace.PhaseReady)
		orders <- "A-1"
		app.Stop("example done") // in production: SIGTERM
	}()
	rep, err := app.Run(context.Background()) // or app.Main() in func main
	fmt.Println("exit", rep.ExitCode, err)
	// Output:
	// db open
	// fulfilled A-1
	// db closed
	// exit 0 <nil>
}

// Stopping twice as fast is a matter of declaring what is independent; the plan shows the waves.
func ExampleApp_Plan() {
	app := grace.New(grace.WithBudget(20*time.Second), grace.WithDrainDelay(5*time.Second))
	app.Add("db", grace.Hook{}, grace.Independent(), grace.StopTimeout(3*time.Second))
	app.Add("cache", grace.Hook{}, grace.Independent(), grace.StopTimeout(2*time.Second))
	app.Add("http", grace.Hook{}, grace.DependsOn("db", "cache"), grace.StopTimeout(10*time.Second))
	plan, err := app.Plan()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(plan)
	fmt.Println(plan.Check(30 * time.Second))
	fmt.Println(plan.Check(20 * time.Second))
	// Output:
	// budget 20s (drain delay 5s, escalated 3s), start timeout 30s, worst stop chain 13s
	// start:
	//   wave 1  db     start+drain+stop  limit 3s   after: -
	//   wave 1  cache  start+drain+stop  limit 2s   after: -
	//   wave 2  http   start+drain+stop  limit 10s  after: db, cache
	// stop:
	//   wave 1  http   start+drain+stop  limit 10s  after: -
	//   wave 2  db     start+drain+stop  limit 3s   after: http
	//   wave 2  cache  start+drain+stop  limit 2s   after: http
	// []
	// [budget 20s leaves no margin in the grace period 20s to flush and exit]
}

// A hung component is named, with where it hangs, and everything else still stops.
func ExampleReport() {
	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.DiscardHandler)))
	release := make(chan struct{})
	defer close(release)
	app.Add("db", grace.Hook{})
	app.Add("exporter", grace.StopFunc(func(ctx context.Context) error {
		<-release // a Close that ignores its context
		return nil
	}), grace.StopTimeout(50*time.Millisecond))
	go func() {
		<-app.Await(grace.PhaseReady)
		app.Stop("example")
	}()
	rep, _ := app.Run(context.Background())
	fmt.Println(rep.ExitCode, grace.ExitCodeName(rep.ExitCode))
	c := rep.Component("exporter")
	fmt.Println(c.State, c.TimedOut, c.Error)
	fmt.Println(rep.Component("db").State)
	// Output:
	// 1 stop failed
	// abandoned true stop exporter: timed out after 50ms (component limit)
	// stopped
}

// The producer → queue → writer shape, losing nothing: the writer is added first and the
// producer last, so the producer stops first; the hook between them closes the queue once the
// producer stopped; at its turn the writer handles everything queued before the close — here a
// backlog, since it is slower than the producer — within its limit.
func ExampleConsume() {
	app := grace.New(grace.WithSignals(), grace.WithLogger(slog.New(slog.DiscardHandler)))
	queue := make(chan int, 100)
	written := 0
	app.Add("writer", grace.Consume(queue, func(ctx context.Context, job int) error {
		time.Sleep(100 * time.Microsecond) // the write
		written++
		return nil
	}), grace.StopTimeout(5*time.Second))
	app.Add("close-queue", grace.Hook{OnStop: func(context.Context) error { close(queue); return nil }})
	accepted := 0
	app.Add("producer", grace.RunFunc(func(ctx context.Context) error {
		for job := 0; ; job++ {
			select {
			case queue <- job: // accepted: from now on the writer owes it
				accepted++
			case <-ctx.Done(): // its turn to stop
				return nil
			}
		}
	}))
	go func() {
		<-app.Await(grace.PhaseReady)
		time.Sleep(20 * time.Millisecond)
		app.Stop("example") // in production: SIGTERM
	}()
	rep, err := app.Run(context.Background())
	fmt.Println("every accepted job written:", accepted > 0 && written == accepted)
	fmt.Println("lost", rep.Lost, "exit", rep.ExitCode, err)
	// Output:
	// every accepted job written: true
	// lost 0 exit 0 <nil>
}
