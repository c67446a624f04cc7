package grace_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

// App's doc says every method is safe for concurrent use. Under -race, call each of them from
// several goroutines through every phase of a run — before Run, while starting, ready, draining,
// stopping, and after — and check what each promises along the way.
func TestAppMethodsAreSafeWhileRunRuns(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 12))
			var sigs gracetest.Signals
			app := grace.New(grace.WithSignalSource(&sigs), grace.WithSignals(syscall.SIGTERM), grace.WithLogger(quiet),
				grace.WithDrainDelay(20*time.Millisecond), grace.WithBudget(5*time.Second),
				grace.WithExit(func(int) {}))
			pause := func(d time.Duration) func(ctx context.Context) error {
				return func(ctx context.Context) error {
					select {
					case <-time.After(d):
					case <-ctx.Done():
					}
					return nil
				}
			}
			for j := range 5 {
				app.Add(fmt.Sprint("c", j), grace.Hook{OnStart: pause(2 * time.Millisecond), OnDrain: pause(time.Millisecond), OnStop: pause(2 * time.Millisecond)})
			}
			app.Add("worker", grace.Consume(make(chan int, 1), func(context.Context, int) error { return nil }))

			quit := make(chan struct{})
			var callers sync.WaitGroup
			call := func(f func()) {
				callers.Go(func() {
					for {
						select {
						case <-quit:
							return
						default:
						}
						f()
						time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
					}
				})
			}
			var mu sync.Mutex
			var lastPhase grace.Phase
			call(func() {
				p := app.Phase()
				mu.Lock()
				defer mu.Unlock()
				if p < lastPhase {
					t.Errorf("phase went back from %v to %v", lastPhase, p)
				}
				lastPhase = p
			})
			call(func() {
				if app.Ready() && app.Phase() > grace.PhaseReady && app.Ready() {
					t.Error("ready after the ready phase")
				}
			})
			call(func() { _ = app.Live() })
			call(func() {
				p := grace.Phase(rand.IntN(7))
				select {
				case <-app.Await(p):
					if app.Phase() < p {
						t.Errorf("Await(%v) closed in phase %v", p, app.Phase())
					}
				default:
				}
			})
			call(func() {
				plan, err := app.Plan()
				if app.Phase() > grace.PhaseIdle && err == nil && len(plan.Stop) == 0 {
					t.Error("empty plan")
				}
			})
			var added int
			call(func() { added++; app.Add(fmt.Sprint("late", added), grace.Hook{}) })

			done := make(chan *grace.Report, 1)
			go func() { rep, _ := app.Run(context.Background()); done <- rep }()
			// A second Run and Main, concurrently: each returns at once.
			callers.Go(func() {
				<-app.Await(grace.PhaseStarting)
				if _, err := app.Run(context.Background()); !errors.Is(err, grace.ErrAlreadyRun) {
					t.Errorf("second Run: %v", err)
				}
			})
			<-app.Await(grace.PhaseStarting)
			time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
			for range 1 + rng.IntN(2) {
				callers.Go(func() { app.Stop("test") })
				if rng.IntN(2) == 0 {
					callers.Go(func() { sigs.Send(syscall.SIGTERM) })
				}
			}
			var rep *grace.Report
			select {
			case rep = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run never returned")
			}
			time.Sleep(time.Millisecond) // let the callers see PhaseStopped
			close(quit)
			callers.Wait()
			if app.Phase() != grace.PhaseStopped || app.Live() || app.Ready() {
				t.Errorf("after Run: phase %v live %v ready %v", app.Phase(), app.Live(), app.Ready())
			}
			if rep.ExitCode != grace.ExitClean && rep.ExitCode != grace.ExitStopFailed && rep.ExitCode != grace.ExitForced {
				t.Errorf("exit %d:\n%s", rep.ExitCode, rep)
			}
			if _, err := app.Plan(); added > 0 && !errors.Is(err, grace.ErrInvalid) {
				t.Errorf("Plan after %d late Adds: %v, want the ConfigError naming them", added, err)
			}
		})
	}
}
