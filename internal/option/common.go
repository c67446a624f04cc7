package option

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
)

// Common is the part of its configuration an adapter of a client shares with the others: the
// margin it gives [grace.CutAt], the logger of what it gets past, and the [Problems] found
// while its options were applied. An adapter's config embeds it, and its WithCutMargin and
// WithLogger options call SetCutMargin and SetLogger, so they check and default alike in every
// package.
type Common struct {
	CutMargin time.Duration
	Logger    *slog.Logger
	Problems
}

// Defaults returns the common part before any option: [grace.DefaultCutMargin] and
// slog.Default().
func Defaults() Common {
	return Common{CutMargin: grace.DefaultCutMargin, Logger: slog.Default()}
}

// SetCutMargin sets the cut margin; one that is not positive is a problem.
func (c *Common) SetCutMargin(d time.Duration) { c.CutMargin = c.Positive("cut margin", d) }

// SetLogger sets the logger; nil keeps the one set before.
func (c *Common) SetLogger(l *slog.Logger) { c.Logger = cmp.Or(l, c.Logger) }
