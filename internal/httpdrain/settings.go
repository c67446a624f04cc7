package httpdrain

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gracekit/grace"
)

// The health paths every HTTP adapter answers at by default.
const (
	LivePath  = "/livez"
	ReadyPath = "/readyz"
)

// Settings is what every HTTP adapter's server is configured with, whatever it serves: the app
// whose phase the health paths answer from, those paths, the margin given to [grace.CutAt], the
// logger and name of its log lines — and the problems found while its options were applied,
// which its Validate reports ([Settings.Err]). An adapter embeds it in its own configuration, so
// the options every adapter has are checked, and their problems worded, the same way.
type Settings struct {
	App       *grace.App // nil: no health answers on the server itself
	LivePath  string
	ReadyPath string
	CutMargin time.Duration
	Logger    *slog.Logger
	Name      string

	problems []string
}

// Defaults returns the settings of a server called name before any option: [LivePath],
// [ReadyPath], [grace.DefaultCutMargin] and slog.Default().
func Defaults(name string) Settings {
	return Settings{LivePath: LivePath, ReadyPath: ReadyPath, CutMargin: grace.DefaultCutMargin,
		Logger: slog.Default(), Name: name}
}

// SetCutMargin sets the cut margin; a margin that is not positive is a problem.
func (s *Settings) SetCutMargin(d time.Duration) {
	s.Positive("cut margin", d)
	s.CutMargin = d
}

// SetLogger sets the logger; nil stands for slog.Default().
func (s *Settings) SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.Default()
	}
	s.Logger = l
}

// Positive records a problem unless d, the value given for what, is positive: "linger must be
// positive, got -1s".
func (s *Settings) Positive(what string, d time.Duration) {
	if d <= 0 {
		s.Problem("%s must be positive, got %v", what, d)
	}
}

// Problem records a problem with the options, worded by format and args.
func (s *Settings) Problem(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// Err returns the problems recorded, followed by more (the adapter's checks of its server), as
// a [*grace.ConfigError] without the component's name, which the app adds; nil when there are
// none. It can be called more than once.
func (s *Settings) Err(more ...string) error {
	if len(s.problems)+len(more) == 0 {
		return nil
	}
	return &grace.ConfigError{Problems: slices.Concat(s.problems, more)}
}
