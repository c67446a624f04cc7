package option_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

type opt interface{ apply(*[]string) }

type optFunc func(*[]string)

func (f optFunc) apply(s *[]string) { f(s) }

func TestEachAppliesInOrderSkippingNil(t *testing.T) {
	var got []string
	add := func(v string) opt { return optFunc(func(s *[]string) { *s = append(*s, v) }) }
	option.Each([]opt{add("a"), nil, add("b")}, func(o opt) { o.apply(&got) })
	if want := []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("applied %q, want %q", got, want)
	}
}

// cutOption is an adapter's option in the one style: an interface with an unexported apply
// method, here over an option.Cut as gracepgx's and graceredis's are.
type cutOption interface{ apply(*option.Cut) }

type cutMargin time.Duration

func (d cutMargin) apply(c *option.Cut) { c.SetCutMargin(time.Duration(d)) }

func TestNewCutAppliesInOrderAndCollectsTheProblems(t *testing.T) {
	c := option.NewCut([]cutOption{nil, cutMargin(2 * time.Second), cutMargin(-time.Millisecond)}, cutOption.apply)
	if c.CutMargin != -time.Millisecond {
		t.Fatalf("margin = %v, want the last one given", c.CutMargin)
	}
	var ce *grace.ConfigError
	if err := c.Err(); !errors.As(err, &ce) || !reflect.DeepEqual(ce.Problems, []string{"cut margin must be positive, got -1ms"}) {
		t.Fatalf("Err = %v, want the bad margin named", err)
	}
	if c := option.NewCut([]cutOption(nil), cutOption.apply); c.CutMargin != grace.DefaultCutMargin || c.Err() != nil {
		t.Fatalf("no option: %+v, %v; want grace.DefaultCutMargin and no problem", c, c.Err())
	}
}

func TestApplyReturnsTheDefaultsWithTheOptionsApplied(t *testing.T) {
	type config struct{ names []string }
	add := func(v string) opt { return optFunc(func(s *[]string) { *s = append(*s, v) }) }
	c := option.Apply(config{names: []string{"default"}}, []opt{add("a"), nil, add("b")},
		func(o opt, c *config) { o.apply(&c.names) })
	if want := []string{"default", "a", "b"}; !reflect.DeepEqual(c.names, want) {
		t.Fatalf("applied %q, want %q", c.names, want)
	}
}

func TestCount(t *testing.T) {
	var p option.Problems
	if got := p.Count("batch", 3); got != 3 || p.Err() != nil {
		t.Fatalf("Count(3) = %d, %v; want 3 and no problem", got, p.Err())
	}
	p.Count("batch", 0)
	var ce *grace.ConfigError
	if err := p.Err(); !errors.As(err, &ce) || !reflect.DeepEqual(ce.Problems, []string{"batch must be positive, got 0"}) {
		t.Fatalf("Err = %v, want the one problem", err)
	}
}
