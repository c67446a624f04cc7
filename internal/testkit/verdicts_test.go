package testkit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/testkit"
)

// A component's problems, listed by the app under its name, one by one.
func TestWantProblems(t *testing.T) {
	app := testkit.NewApp()
	app.Add("web", validator{})
	_, err := app.Run(t.Context())
	testkit.WantProblems(t, err, "web", "linger must be positive, got 0s", "no address")
	if msg := failures(t, func(tb testing.TB) { testkit.WantProblems(tb, err, "web", "linger", "other") }); strings.Count(msg, "do not list") != 2 {
		t.Errorf("WantProblems with a part of a problem and a missing one failed with %q", msg)
	}
	if msg := failures(t, func(tb testing.TB) { testkit.WantProblems(tb, nil, "web") }); !strings.Contains(msg, "want a *grace.ConfigError") {
		t.Errorf("WantProblems without an error failed with %q", msg)
	}
}

type validator struct{}

func (validator) Start(context.Context) error { return nil }
func (validator) Validate() error {
	return &grace.ConfigError{Problems: []string{"linger must be positive, got 0s", "no address"}}
}

// The books of a job queue: a job accepted and never written is missing, one written twice fails
// the test.
func TestJobsTally(t *testing.T) {
	jobs := testkit.NewJobs()
	for _, id := range []int{1, 1, 3} {
		jobs.Accepted(id)
		jobs.Write(t.Context(), id)
	}
	jobs.Accepted(2)
	jobs.AwaitWritten(t, 1, time.Second)
	var tally testkit.JobsTally
	msg := failures(t, func(tb testing.TB) { tally = jobs.Tally(tb) })
	if !strings.Contains(msg, "job 1 written 2 times") || !slices.Equal(tally.Missing, []int{2}) || tally.Accepted != 4 || tally.Written != 2 {
		t.Errorf("tally %+v, failures %q", tally, msg)
	}
}
