package grace_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gracekit/grace"
)

// The report's promise (ComponentReport.LeftBehind): goroutines a component — or an SDK it
// called — started that were still alive after it stopped are counted, and their stacks shown.
// The report looks for them only when a goroutine other than the engine's was started during
// the run; these tests leave goroutines behind in each way a component can.

// leftBehind checks that component name left exactly one goroutine behind, shown at frame.
func leftBehind(t *testing.T, rep *grace.Report, name, frame string) {
	t.Helper()
	c := rep.Component(name)
	if c.LeftBehind != 1 || !strings.Contains(c.LeftBehindStacks, frame) {
		t.Errorf("%s left behind %d, want 1 at %s:\n%s", name, c.LeftBehind, frame, c.LeftBehindStacks)
	}
	if !strings.Contains(rep.String(), "1 goroutines left behind") {
		t.Errorf("the text report does not say so:\n%s", rep)
	}
}

func TestGoroutinesLeftBehindAreReported(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	app := newApp()
	app.Add("sdk", grace.Hook{
		OnStart: func(context.Context) error {
			go func() { <-release }() // an SDK goroutine that Close does not wait for
			return nil
		},
	})
	app.Add("clean", grace.Hook{})
	rep := stopReady(t, app)
	leftBehind(t, rep, "sdk", "leftbehind_test.go")
	if rep.Component("clean").LeftBehind != 0 {
		t.Error("clean component blamed")
	}
}

// flusher is an SDK's background goroutine, started by its Close and never waited for.
func flusher(release <-chan struct{}) { <-release }

func TestGoroutineStartedByCloseIsLeftBehind(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	app := newApp()
	app.Add("client", grace.StopFunc(func(context.Context) error {
		go flusher(release)
		return nil
	}))
	leftBehind(t, stopReady(t, app), "client", "grace_test.flusher")
}

// A goroutine started by a goroutine the component started, while another goroutine of the
// process — not the app's — ends during the stop: the count of live goroutines does not change,
// and the one left behind must still be found.
func TestGoroutineLeftBehindWhileAnotherEnds(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	app := newApp()
	unrelated := make(chan struct{})
	go func() { // started before the run, ends when the stop begins
		defer close(unrelated)
		<-app.Await(grace.PhaseDraining)
	}()
	app.Add("pool", grace.Hook{
		OnStart: func(context.Context) error {
			started := make(chan struct{})
			go func() { // the pool's worker: starts its reaper, then ends
				go flusher(release)
				close(started)
			}()
			<-started
			return nil
		},
		OnStop: func(context.Context) error { <-unrelated; return nil },
	})
	leftBehind(t, stopReady(t, app), "pool", "grace_test.flusher")
}

func TestGoroutinesThatEndAtTheStopAreNotLeftBehind(t *testing.T) {
	app := newApp()
	quit, ended := make(chan struct{}), make(chan struct{})
	app.Add("server", grace.Hook{
		OnStart: func(context.Context) error {
			go func() { defer close(ended); <-quit }()
			return nil
		},
		OnStop: func(context.Context) error { close(quit); <-ended; return nil },
	})
	rep := stopReady(t, app)
	if c := rep.Component("server"); c.LeftBehind != 0 {
		t.Errorf("server blamed for %d goroutines:\n%s", c.LeftBehind, c.LeftBehindStacks)
	}
}
