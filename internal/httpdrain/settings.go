package httpdrain

import (
	"log/slog"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/option"
)

// The health paths every HTTP adapter answers at by default.
const (
	LivePath  = "/livez"
	ReadyPath = "/readyz"
)

// Settings is what every HTTP adapter's server is configured with, whatever it serves: the app
// whose phase the health paths answer from, those paths, the margin given to [grace.CutAt], the
// logger and name of its log lines — and the problems found while its options were applied
// ([option.Problems]), which its Validate reports with Err. An adapter embeds it in its own
// configuration, so the options every adapter has are checked, and their problems worded, the
// same way.
type Settings struct {
	App       *grace.App // nil: no health answers on the server itself
	LivePath  string
	ReadyPath string
	CutMargin time.Duration
	Logger    *slog.Logger
	Name      string

	option.Problems
}

// Defaults returns the settings of a server called name before any option: [LivePath],
// [ReadyPath], [grace.DefaultCutMargin] and slog.Default().
func Defaults(name string) Settings {
	return Settings{LivePath: LivePath, ReadyPath: ReadyPath, CutMargin: grace.DefaultCutMargin,
		Logger: slog.Default(), Name: name}
}

// SetCutMargin sets the cut margin; a margin that is not positive is a problem.
func (s *Settings) SetCutMargin(d time.Duration) {
	s.CutMargin = s.Positive("cut margin", d)
}

// SetLogger sets the logger; nil stands for slog.Default().
func (s *Settings) SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.Default()
	}
	s.Logger = l
}
