package grace_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracetest"
)

func TestInvalidConfigurationIsReportedBeforeAnythingStarts(t *testing.T) {
	var rec gracetest.Recorder
	app := newApp(grace.WithBudget(-time.Second), grace.WithStartTimeout(0), grace.WithDrainDelay(-1), grace.WithEscalatedBudget(0))
	app.Add("db", rec.Hook("db", grace.Hook{}))
	app.Add("db", rec.Hook("db2", grace.Hook{}))
	app.Add("a", rec.Hook("a", grace.Hook{}), grace.DependsOn("b"))
	app.Add("b", rec.Hook("b", grace.Hook{}), grace.DependsOn("a"))
	app.Add("c", rec.Hook("c", grace.Hook{}), grace.DependsOn("nope"), grace.StopTimeout(0))
	app.Add("", grace.Hook{})
	app.Add("nil", nil)
	app.Add("string", "not a component")
	app.Add("tick", grace.Ticker(0, func(context.Context) error { return nil }))
	app.Add("self", grace.Hook{}, grace.DependsOn("self"))
	app.Add("restart", grace.Hook{}, grace.RestartOnPanic(time.Second, time.Millisecond))
	rep, err := app.Run(context.Background())
	if !errors.Is(err, grace.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	var ce *grace.ConfigError
	if !errors.As(err, &ce) {
		t.Fatal("not a ConfigError")
	}
	for _, want := range []string{
		"budget must be positive, got -1s",
		"start timeout must be positive, got 0s",
		"drain delay must not be negative, got -1ns",
		"escalated budget must be positive, got 0s",
		`duplicate component name "db"`,
		"dependency cycle: a -> b -> a",
		`component "c" depends on unknown component "nope"`,
		`component "c": stop timeout must be positive, got 0s`,
		"component #6 has no name",
		`component "nil" is nil`,
		`component "string" (string) implements none of`,
		`component "tick": ticker interval must be positive`,
		`component "self" depends on itself`,
		`component "restart": RestartOnPanic needs a Runner`,
		"restart backoff needs 0 < min <= max",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, strings.Join(ce.Problems, "\n"))
		}
	}
	if len(rec.Events()) != 0 {
		t.Errorf("something ran: %v", rec.Events())
	}
	if rep.ExitCode != grace.ExitStartFailed {
		t.Errorf("exit %d", rep.ExitCode)
	}
}

func TestLimitAboveBudgetIsInvalid(t *testing.T) {
	app := newApp(grace.WithBudget(5*time.Second), grace.WithDrainDelay(5*time.Second))
	app.Add("db", grace.Hook{}, grace.StopTimeout(6*time.Second))
	_, err := app.Run(context.Background())
	for _, want := range []string{"stop timeout 6s is above the budget 5s", "drain delay 5s leaves nothing of the budget 5s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v lacks %q", err, want)
		}
	}
}

func TestAddAfterRunIsAProblem(t *testing.T) {
	app := newApp()
	done := runUntilReady(t, app)
	app.Add("late", grace.Hook{})
	app.Stop("x")
	wait(t, done)
	if _, err := app.Plan(); err == nil || !strings.Contains(err.Error(), `"late" added after Run`) {
		t.Errorf("plan err %v", err)
	}
}

// badOptions is a component whose Validate reports two problems, as every adapter does.
type badOptions struct{ grace.Hook }

func (badOptions) Validate() error {
	return &grace.ConfigError{Problems: []string{"cut margin must be positive, got -1s", "queue is empty"}}
}

func TestComponentConfigErrorsListedOneByOne(t *testing.T) {
	app := newApp(grace.WithBudget(-time.Second))
	app.Add("broker", badOptions{})
	_, err := app.Plan()
	var ce *grace.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Plan: %v, want a ConfigError", err)
	}
	want := []string{`component "broker": cut margin must be positive, got -1s`, `component "broker": queue is empty`}
	for _, w := range want {
		if !slices.Contains(ce.Problems, w) {
			t.Errorf("problems %q lack %q", ce.Problems, w)
		}
	}
	if len(ce.Problems) != 3 {
		t.Errorf("problems %q, want the budget's and the component's two", ce.Problems)
	}
}

func TestValidatorProblemsAreConfigErrors(t *testing.T) {
	app := newApp()
	app.Add("http", selfChecking{})
	_, err := app.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `component "http": address "nope" is not host:port`) {
		t.Errorf("err %v", err)
	}
}

type selfChecking struct{ grace.Hook }

func (selfChecking) Validate() error { return fmt.Errorf("address %q is not host:port", "nope") }
