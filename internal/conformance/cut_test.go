package conformance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceamqp"
	"github.com/gracekit/grace/gracefasthttp"
	"github.com/gracekit/grace/gracegrpc"
	"github.com/gracekit/grace/gracehttp"
	"github.com/gracekit/grace/gracehttp3"
	"github.com/gracekit/grace/gracekafka"
	"github.com/gracekit/grace/gracenats"
	"github.com/gracekit/grace/internal/testkit"
)

// cutErrors holds one value of every error in the repository that says work was cut at a hard
// deadline, keyed by where it is declared: the package's directory (the root's is "grace") and
// the type's name. Each value says one unit of work was cut. TestEveryCutErrorIsListed finds the
// declarations in the source, so a new adapter's cut error cannot be left out.
var cutErrors = map[string]error{
	"grace.InUseError":            &grace.InUseError{Unit: "connections", InUse: 2, Forced: 1},
	"gracehttp.CutError":          &gracehttp.CutError{Server: "http", Requests: []gracehttp.InFlightRequest{{Method: "GET", Route: "/"}}, Total: 1},
	"gracegrpc.CutError":          &gracegrpc.CutError{Methods: []gracegrpc.CutMethod{{Method: "/s.S/M", Kind: gracegrpc.KindUnary, Count: 1}}},
	"gracefasthttp.CutError":      &gracefasthttp.CutError{Requests: []gracefasthttp.InFlightRequest{{Method: "GET", Path: "/"}}, Total: 1},
	"gracehttp3.CutError":         &gracehttp3.CutError{Requests: []gracehttp3.InFlightRequest{{Method: "GET", Path: "/"}}},
	"gracekafka.CutError":         &gracekafka.CutError{Records: 1},
	"gracekafka.UndeliveredError": &gracekafka.UndeliveredError{Records: 1, Err: errors.New("deadline")},
	"gracenats.CutError":          &gracenats.CutError{What: "drain", Messages: 1},
	"gracenats.UnackedError":      &gracenats.UnackedError{Messages: 1, Err: errors.New("deadline")},
	"graceamqp.CutError":          &graceamqp.CutError{What: "handler", Messages: 1},
}

// TestCutErrorsMatchErrCut: every cut error matches grace.ErrCut, directly and wrapped as
// grace.ComponentError wraps it, implements grace.CutError with the one unit cut in a plural
// unit, and no longer matches grace.ErrTimeout (it is not a timeout: the component stopped
// within its limit).
func TestCutErrorsMatchErrCut(t *testing.T) {
	for name, err := range cutErrors {
		t.Run(name, func(t *testing.T) {
			wrapped := &grace.ComponentError{Component: "c", Op: "stop", Err: fmt.Errorf("joined: %w", errors.Join(errors.New("other"), err))}
			if !errors.Is(err, grace.ErrCut) || !errors.Is(wrapped, grace.ErrCut) {
				t.Errorf("%s (%v) does not match grace.ErrCut", name, err)
			}
			if errors.Is(err, grace.ErrTimeout) {
				t.Errorf("%s (%v) matches grace.ErrTimeout: a cut is not a timeout", name, err)
			}
			n, unit, ok := testkit.Cut(wrapped)
			if !ok {
				t.Fatalf("%s (%T) is not a cut error: it must match grace.ErrCut and implement grace.CutError", name, err)
			}
			if n != 1 || unit == "" || !strings.HasSuffix(unit, "s") {
				t.Errorf("%s: Cut() = %d, %q; want 1 and a plural unit", name, n, unit)
			}
		})
	}
}

// TestAnInUseErrorCutsOnlyWhatWasForced: an InUseError without connections forced closed (what
// gracesql returns: database/sql cuts none) is no cut.
func TestAnInUseErrorCutsOnlyWhatWasForced(t *testing.T) {
	err := &grace.InUseError{Unit: "connections", InUse: 3}
	if !errors.Is(err, grace.ErrInUse) || errors.Is(err, grace.ErrCut) {
		t.Fatalf("%v: matches ErrInUse %v, ErrCut %v; want ErrInUse only", err, errors.Is(err, grace.ErrInUse), errors.Is(err, grace.ErrCut))
	}
}
