package gracefx_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/fx"
)

// TestComponentRunsWholeApp: a whole fx app as one grace component, beside a component of
// grace's own: its hooks start and stop with the app, in fx's order, and after the component
// added after it has stopped.
func TestComponentRunsWholeApp(t *testing.T) {
	j := &journal{}
	fxApp := fx.New(fx.NopLogger, fx.Supply(j), fx.Provide(NewDB, NewCache), fx.Invoke(func(*Cache) {}))
	app := testkit.NewApp(grace.WithLogger(testkit.QuietLogger()))
	app.Add("fx", gracefx.NewComponent(fxApp), grace.StopTimeout(2*time.Second))
	app.Add("worker", grace.Hook{
		OnStart: func(context.Context) error { j.add("start worker"); return nil },
		OnStop:  func(context.Context) error { j.add("stop worker"); return nil },
	})
	rep, err := testkit.RunAndStop(t, app)
	if err != nil {
		t.Fatalf("%v\n%s", err, rep)
	}
	want := []string{"start db", "start cache", "start worker", "stop worker", "stop cache", "stop db"}
	if got := j.get(); !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}
}

// TestComponentValidates: an fx app that cannot be built fails the grace app before anything
// starts, with fx's error.
func TestComponentValidates(t *testing.T) {
	type missing struct{}
	fxApp := fx.New(fx.NopLogger, fx.Invoke(func(*missing) {}))
	started := false
	app := testkit.NewApp(grace.WithLogger(testkit.QuietLogger()))
	app.Add("first", grace.Hook{OnStart: func(context.Context) error { started = true; return nil }})
	app.Add("fx", gracefx.NewComponent(fxApp))
	_, err := app.Run(context.Background())
	if !errors.Is(err, grace.ErrInvalid) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error %v, want a configuration error naming the missing type", err)
	}
	if started {
		t.Error("a component started although the configuration was invalid")
	}
}

// TestContracts: the Component is what its doc comment says, a Starter, Stopper and Validator.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracefx.Component{}, (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Validator)(nil))
}
