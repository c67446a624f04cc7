package option_test

import (
	"errors"
	"log/slog"
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

func TestLoggedDefaultsToTheDefaultLogger(t *testing.T) {
	var c option.Logged
	if c.Logger() != slog.Default() {
		t.Fatal("no logger set: Logger() is not slog.Default()")
	}
	l := slog.New(slog.DiscardHandler)
	c.SetLogger(l)
	if c.Logger() != l {
		t.Fatal("Logger() is not the logger set")
	}
	c.Positive("extend timeout", 0)
	if err := c.Err(); err == nil {
		t.Fatal("Logged does not carry its Problems")
	}
}

func TestCutAppliesItsOptionsInOrder(t *testing.T) {
	c := option.NewCut(time.Second, []option.Func[option.Cut]{nil, option.CutMargin(2 * time.Second), option.CutMargin(-time.Millisecond)})
	if c.Margin != -time.Millisecond {
		t.Fatalf("margin = %v, want the last one given", c.Margin)
	}
	var ce *grace.ConfigError
	if err := c.Err(); !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0] != "cut margin must be positive, got -1ms" {
		t.Fatalf("Err = %v, want the bad margin named", err)
	}
	if c := option.NewCut(time.Second, nil); c.Margin != time.Second || c.Err() != nil {
		t.Fatalf("no option: %+v, %v; want the default margin and no problem", c, c.Err())
	}
}
