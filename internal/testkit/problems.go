package testkit

import (
	"errors"
	"slices"
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
