package testkit

import (
	"errors"

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
