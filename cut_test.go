package grace_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gracekit/grace"
)

func TestCutAtClampsTheMarginToTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, c := range []struct {
			limit, margin, want time.Duration // want: from now to the cut
		}{
			{25 * time.Second, 500 * time.Millisecond, 24500 * time.Millisecond},
			{300 * time.Millisecond, 500 * time.Millisecond, 270 * time.Millisecond}, // clamped: a 100 ms request finishes
			{time.Second, 0, time.Second},
			{time.Second, -time.Second, time.Second},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), c.limit)
			at, ok := grace.CutAt(ctx, c.margin)
			cancel()
			if got := time.Until(at); !ok || got != c.want {
				t.Errorf("limit %v, margin %v: cut after %v (ok %v), want %v", c.limit, c.margin, got, ok, c.want)
			}
		}
		if at, ok := grace.CutAt(context.Background(), time.Second); ok || !at.IsZero() {
			t.Errorf("no deadline: %v %v, want zero, false", at, ok)
		}
	})
}

func TestInUseErrorIsACutOnlyWhenForced(t *testing.T) {
	forced := error(&grace.InUseError{Unit: "connections", InUse: 3, Forced: 2})
	left := error(&grace.InUseError{Unit: "connections", InUse: 3})
	if !errors.Is(forced, grace.ErrInUse) || !errors.Is(forced, grace.ErrCut) {
		t.Errorf("forced: Is(ErrInUse)=%v Is(ErrCut)=%v", errors.Is(forced, grace.ErrInUse), errors.Is(forced, grace.ErrCut))
	}
	if !errors.Is(left, grace.ErrInUse) || errors.Is(left, grace.ErrCut) {
		t.Errorf("left open: Is(ErrInUse)=%v Is(ErrCut)=%v", errors.Is(left, grace.ErrInUse), errors.Is(left, grace.ErrCut))
	}
	var cut grace.CutError
	if !errors.As(fmt.Errorf("close pool: %w", forced), &cut) {
		t.Fatal("a wrapped InUseError is not found as a CutError")
	}
	if n, unit := cut.Cut(); n != 2 || unit != "connections" {
		t.Errorf("Cut() = %d %q", n, unit)
	}
	for _, e := range []error{forced, left} {
		if !strings.Contains(e.Error(), "connections") {
			t.Errorf("%q does not name the unit", e)
		}
	}
}
