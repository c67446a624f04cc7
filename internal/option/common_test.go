package option_test

import (
	"log/slog"
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
	l := slog.New(slog.DiscardHandler)
	c.SetLogger(l)
	c.SetLogger(nil) // keeps l
	c.SetCutMargin(time.Second)
	if c.Logger != l || c.CutMargin != time.Second || c.Err() != nil {
		t.Fatalf("after SetLogger(l), SetLogger(nil), SetCutMargin(1s): %+v", c)
	}
	c.SetCutMargin(-time.Second)
	const want = "cut margin must be positive, got -1s"
	if err, ok := c.Err().(*grace.ConfigError); !ok || len(err.Problems) != 1 || err.Problems[0] != want {
		t.Fatalf("Err = %v, want the one problem %q", c.Err(), want)
	}
}
