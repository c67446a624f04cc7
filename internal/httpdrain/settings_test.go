package httpdrain_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/httpdrain"
)

func TestSettings(t *testing.T) {
	s := httpdrain.Defaults("web")
	if s.LivePath != "/livez" || s.ReadyPath != "/readyz" || s.CutMargin != grace.DefaultCutMargin || s.Logger == nil || s.Name != "web" {
		t.Fatalf("defaults %+v", s)
	}
	if s.Err() != nil {
		t.Fatalf("no problem yet: %v", s.Err())
	}
	s.SetLogger(nil)
	s.SetCutMargin(2 * time.Second)
	s.Positive("linger", time.Second)
	if s.Logger == nil || s.CutMargin != 2*time.Second || s.Err() != nil {
		t.Fatalf("good values: %+v, %v", s, s.Err())
	}
	s.SetCutMargin(-time.Second)
	s.Positive("linger", 0)
	err := s.Err("no address")
	var ce *grace.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, grace.ErrInvalid) ||
		!slices.Equal(ce.Problems, []string{"cut margin must be positive, got -1s", "linger must be positive, got 0s", "no address"}) {
		t.Fatalf("err %v", err)
	}
	if again := s.Err(); again == nil || len(again.(*grace.ConfigError).Problems) != 2 {
		t.Fatalf("a second Err: %v", again)
	}
}
