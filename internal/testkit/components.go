package testkit

import (
	"testing"
	"time"

	"github.com/gracekit/grace"
)

// Component is one component of an app a test builds: its name, the component and its
// options, as app.Add takes them.
type Component struct {
	Name string
	C    any
	Opts []grace.ComponentOption
}

// AddAll adds cs to app, in order.
func AddAll(app *grace.App, cs ...Component) {
	for _, c := range cs {
		app.Add(c.Name, c.C, c.Opts...)
	}
}

// RunComponents runs an app of cs as [RunSignalled] does, with a budget of 20 s, and waits until
// it is ready.
func RunComponents(t testing.TB, cs ...Component) *Signalled {
	t.Helper()
	return RunSignalled(t, func(app *grace.App) { AddAll(app, cs...) }, grace.WithBudget(20*time.Second))
}
