package option_test

import (
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

func TestCommonDefaultsAndSetters(t *testing.T) {
	c := option.Defaults()
	if c.CutMargin != grace.DefaultCutMargin || c.Logger != slog.Default() || c.Err() != nil {
		t.Fatalf("Defaults = %+v, want grace.DefaultCutMargin, slog.Default() and no problem", c)
	}
	l := slog.New(slog.NewTextHandler(io.Discard, nil))
	c.SetLogger(l)
	c.SetLogger(nil) // keeps l
	c.SetCutMargin(time.Second)
	if c.Logger != l || c.CutMargin != time.Second || c.Err() != nil {
		t.Fatalf("after SetLogger(l), SetLogger(nil), SetCutMargin(1s): %+v", c)
	}
	c.SetCutMargin(-time.Second)
	var ce *grace.ConfigError
	if err := c.Err(); !errors.As(err, &ce) || !reflect.DeepEqual(ce.Problems, []string{"cut margin must be positive, got -1s"}) {
		t.Fatalf("Err = %v, want the cut margin named with its value", err)
	}
}
