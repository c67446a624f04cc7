package testkit

import (
	"errors"
	"testing"

	"github.com/gracekit/grace"
)

// WantCut checks that err says n units of work were cut at a stop's deadline in the words every
// adapter shares: it matches [grace.ErrCut] and not [grace.ErrTimeout] (the stop kept its limit;
// it cut work to do so), and it is a [grace.CutError] whose Cut returns n and unit. It fails t
// (going on) otherwise.
func WantCut(t testing.TB, err error, n int, unit string) {
	t.Helper()
	var ce grace.CutError
	switch {
	case !errors.Is(err, grace.ErrCut) || !errors.As(err, &ce):
		t.Errorf("err %v: want it to match grace.ErrCut and be a grace.CutError", err)
	case errors.Is(err, grace.ErrTimeout):
		t.Errorf("err %v matches grace.ErrTimeout: work cut at the deadline is not a timeout", err)
	default:
		if gotN, gotUnit := ce.Cut(); gotN != n || gotUnit != unit {
			t.Errorf("Cut() = %d %q, want %d %q (err %v)", gotN, gotUnit, n, unit, err)
		}
	}
}
