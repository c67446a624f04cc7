package testkit

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gracekit/grace"
)

// Cut reports whether err says work was cut at a deadline — it matches grace.ErrCut and holds
// a grace.CutError — and returns what that CutError counts. Adapters' tests check their cut
// errors with it: Cut(err) with ok false is a cut error that breaks the convention.
func Cut(err error) (n int, unit string, ok bool) {
	var ce grace.CutError
	if !errors.Is(err, grace.ErrCut) || !errors.As(err, &ce) {
		return 0, "", false
	}
	n, unit = ce.Cut()
	return n, unit, true
}

// CutErrors fails t for each of errs that, wrapped as a component's stop error, is not a cut
// error ([Cut]) counting n in unit: the check of an adapter's cut error types.
func CutErrors(t testing.TB, n int, unit string, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if got, u, ok := Cut(fmt.Errorf("stop: %w", err)); !ok || got != n || u != unit {
			t.Errorf("%T: cut %d %q (a cut error: %v), want %d %s", err, got, u, ok, n, unit)
		}
	}
}
