package grace_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

func TestStopsInReverseDependencyOrder(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{}), grace.Independent())
	app.Add("cache", rec.Hook("cache", grace.Hook{}), grace.Independent())
	app.Add("repo", rec.Hook("repo", grace.Hook{}), grace.DependsOn("db", "cache"))
	app.Add("http", rec.Hook("http", grace.Hook{}), grace.DependsOn("repo"))
	app.Add("consumer", rec.Hook("consumer", grace.Hook{}), grace.DependsOn("repo"))
	rep := stopReady(t, app)
	if rep.ExitCode != grace.ExitClean {
		t.Fatalf("exit code %d, want clean:\n%s", rep.ExitCode, rep)
	}
	for _, p := range [][2]string{{"db", "repo"}, {"cache", "repo"}, {"repo", "http"}, {"repo", "consumer"}} {
		rec.Before(t, "start", p[0], p[1])
		rec.Before(t, "stop", p[1], p[0])
	}
}

func TestRegistrationOrderIsTheSafeDefault(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	names := []string{"db", "broker", "consumer", "http"}
	for _, n := range names {
		app.Add(n, rec.Hook(n, grace.Hook{OnStop: func(context.Context) error { return nil }}))
	}
	stopReady(t, app)
	if got := rec.Order("start"); !slices.Equal(got, names) {
		t.Errorf("start order %v, want %v", got, names)
	}
	want := slices.Clone(names)
	slices.Reverse(want)
	if got := rec.Order("stop"); !slices.Equal(got, want) {
		t.Errorf("stop order %v, want %v", got, want)
	}
}

// An Independent component added early must still outlive later default components (they may
// use it): the safe default covers every earlier component, not just the previous one.
func TestSafeDefaultCoversIndependentPredecessors(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("pool", rec.Hook("pool", grace.Hook{}), grace.Independent())
	app.Add("metrics", rec.Hook("metrics", grace.Hook{}), grace.Independent())
	app.Add("http", rec.Hook("http", grace.Hook{}))
	stopReady(t, app)
	rec.Before(t, "stop", "http", "pool")
	rec.Before(t, "stop", "http", "metrics")
}

// Twenty independent 100 ms stops run in parallel; a chain of five (each depends on the one
// added before it, the safe default) runs one after another.
func TestStopTimeFollowsDependencies(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		opts []grace.ComponentOption
		want time.Duration
	}{
		{"independent in parallel", 20, []grace.ComponentOption{grace.Independent()}, 100 * time.Millisecond},
		{"a chain one by one", 5, nil, 500 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				app := newApp()
				for i := range c.n {
					app.Add(fmt.Sprintf("c%d", i), sleeper(100*time.Millisecond), c.opts...)
				}
				if rep := stopReady(t, app); rep.StopDuration != c.want {
					t.Errorf("%d stops of 100ms took %v, want %v", c.n, rep.StopDuration, c.want)
				}
			})
		})
	}
}

func TestIndependentComponentsStartInParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := newApp()
		for i := range 10 {
			app.Add(fmt.Sprintf("c%d", i), grace.Hook{OnStart: func(context.Context) error {
				time.Sleep(50 * time.Millisecond)
				return nil
			}}, grace.Independent())
		}
		begin := time.Now()
		done := runUntilReady(t, app)
		if took := time.Since(begin); took != 50*time.Millisecond {
			t.Errorf("10 independent 50ms starts took %v, want 50ms", took)
		}
		app.Stop("test")
		<-done
	})
}

func TestStopsLastComponentOutlivesEverything(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp()
	app.Add("db", rec.Hook("db", grace.Hook{}), grace.Independent())
	app.Add("http", rec.Hook("http", grace.Hook{}), grace.DependsOn("db"))
	app.Add("cache", rec.Hook("cache", grace.Hook{}), grace.Independent())
	app.Add("telemetry", rec.Hook("telemetry", grace.Hook{}), grace.StopsLast()) // added late, still last
	stopReady(t, app)
	for _, n := range []string{"db", "http", "cache"} {
		rec.Before(t, "start", "telemetry", n)
		rec.Before(t, "stop", n, "telemetry")
	}
}
