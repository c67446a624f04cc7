package option_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

func TestProblemsAreListedInOrderAsAConfigError(t *testing.T) {
	var p option.Problems
	if err := p.Err(); err != nil {
		t.Fatalf("no problem: Err = %v, want nil", err)
	}
	if got := p.Positive("cut margin", time.Second); got != time.Second {
		t.Fatalf("Positive returned %v, want the value given", got)
	}
	p.Positive("cut margin", -time.Second)
	p.AtLeast("lease TTL", 500*time.Millisecond, time.Second)
	p.AtLeast("lease TTL", time.Second, time.Second)
	p.Addf("listener is %s", "nil")
	err := p.Err(option.Check(true, "client is nil"), option.Check(false, "key is empty"))
	var ce *grace.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, grace.ErrInvalid) {
		t.Fatalf("Err = %#v, want a *grace.ConfigError", err)
	}
	want := []string{"cut margin must be positive, got -1s", "lease TTL must be at least 1s, got 500ms",
		"listener is nil", "client is nil"}
	if !reflect.DeepEqual(ce.Problems, want) {
		t.Fatalf("problems = %q, want %q", ce.Problems, want)
	}
	if again := p.Err(); len(again.(*grace.ConfigError).Problems) != 3 {
		t.Fatalf("a second Err = %v: the first call's extra problems stuck", again)
	}
}
