package testkit

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gracekit/grace"
)

// WantProblems checks err, returned by an app's Run, for the problems the component called name
// reported through its Validate: err must match [grace.ErrInvalid] and be a [*grace.ConfigError]
// (or t fails at once), and each of want must be one of its problems, as the app lists them
// (`component "name": ` and the problem's text, whole). It fails t for every one missing.
func WantProblems(t testing.TB, err error, name string, want ...string) {
	t.Helper()
	var ce *grace.ConfigError
	if !errors.Is(err, grace.ErrInvalid) || !errors.As(err, &ce) {
		t.Fatalf("err %v, want a *grace.ConfigError", err)
	}
	for _, w := range want {
		if p := `component "` + name + `": ` + w; !slices.Contains(ce.Problems, p) {
			t.Errorf("the problems do not list %q:\n%v", p, err)
		}
	}
}

// StartFails runs a test app ([NewApp], [Run]) whose one component, called "c", is c, and fails
// t unless its start failed (exit code [grace.ExitStartFailed]) with an error that mentions
// want and that matches [grace.ErrInvalid] exactly when invalid is true: a problem with the
// component's configuration, rather than one met while starting (an unreachable server).
func StartFails(t testing.TB, c any, want string, invalid bool) {
	t.Helper()
	app := NewApp()
	app.Add("c", c)
	res := Run(t, app).Wait(t)
	if res.Report.ExitCode != grace.ExitStartFailed || res.Err == nil || !strings.Contains(res.Err.Error(), want) {
		t.Fatalf("exit %d, error %v; want a failed start mentioning %q", res.Report.ExitCode, res.Err, want)
	}
	if errors.Is(res.Err, grace.ErrInvalid) != invalid {
		t.Errorf("errors.Is(%v, grace.ErrInvalid) = %v, want %v", res.Err, !invalid, invalid)
	}
}
