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

// cutConfig and cutOption are an adapter's options in the one style: an interface with an
// unexported apply method over an unexported config that embeds Problems.
type cutConfig struct {
	margin time.Duration
	option.Problems
}

type cutOption interface{ apply(*cutConfig) }

type cutFunc func(*cutConfig)

func (f cutFunc) apply(c *cutConfig) { f(c) }

func withCutMargin(d time.Duration) cutOption {
	return cutFunc(func(c *cutConfig) { c.margin = c.Positive("cut margin", d) })
}

func newCutConfig(opts ...cutOption) cutConfig {
	c := cutConfig{margin: time.Second}
	option.Each(opts, func(o cutOption) { o.apply(&c) })
	return c
}

func TestEachCollectsTheProblemsOfAnAdaptersOptions(t *testing.T) {
	c := newCutConfig(nil, withCutMargin(2*time.Second), withCutMargin(-time.Millisecond))
	if c.margin != -time.Millisecond {
		t.Fatalf("margin = %v, want the last one given", c.margin)
	}
	var ce *grace.ConfigError
	if err := c.Err(); !errors.As(err, &ce) || !reflect.DeepEqual(ce.Problems, []string{"cut margin must be positive, got -1ms"}) {
		t.Fatalf("Err = %v, want the bad margin named", err)
	}
	if c := newCutConfig(); c.margin != time.Second || c.Err() != nil {
		t.Fatalf("no option: %+v, %v; want the default margin and no problem", c, c.Err())
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
