package option_test

import (
	"errors"
	"reflect"
	"testing"

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
