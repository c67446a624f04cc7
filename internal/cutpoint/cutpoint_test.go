package cutpoint_test

import (
	"context"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutpoint"
)

func TestContextEndsAtTheCutPoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cut, cancelCut := cutpoint.Context(ctx, time.Second)
	defer cancelCut()
	want, _ := grace.CutAt(ctx, time.Second)
	if got, ok := cut.Deadline(); !ok || got.Sub(want).Abs() > 50*time.Millisecond {
		t.Fatalf("deadline %v (%v), want the cut point %v", got, ok, want)
	}
	cancel()
	select {
	case <-cut.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the cut context outlived the stop's context")
	}
}

func TestContextWithoutDeadlineEndsWithItsParent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cut, cancelCut := cutpoint.Context(ctx, time.Second)
	defer cancelCut()
	if _, ok := cut.Deadline(); ok {
		t.Fatal("a cut point without a deadline")
	}
	cancel()
	select {
	case <-cut.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the cut context outlived its parent")
	}
}
