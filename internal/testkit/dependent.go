package testkit

import (
	"context"
	"testing"

	"github.com/gracekit/grace"
)

// RunWithDependent adds to app, after the components it already has, one called "dependent"
// whose stop calls use with its stop's ctx; then it runs and stops app ([RunAndStop]) and fails
// t unless Run returned no error and use succeeded: the check that a component is still usable
// while the components added after it stop (an app stops them in reverse order). It returns the
// app's report.
func RunWithDependent(t testing.TB, app *grace.App, use func(ctx context.Context) error) *grace.Report {
	t.Helper()
	var used error
	app.Add("dependent", grace.Hook{OnStop: func(ctx context.Context) error {
		used = use(ctx)
		return nil
	}})
	rep, err := RunAndStop(t, app)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, rep)
	}
	if used != nil {
		t.Fatalf("the dependent could not use what it depends on at its stop: %v\n%s", used, rep)
	}
	return rep
}
