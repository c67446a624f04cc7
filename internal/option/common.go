package option

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
)

// Cut is the configuration of an adapter whose one option is its cut margin (gracepgx,
// graceredis): the margin it gives [grace.CutAt], and the [Problems] found while its options
// were applied. Such an adapter's Option applies to a *Cut, and its WithCutMargin calls
// SetCutMargin.
type Cut struct {
	CutMargin time.Duration
	Problems
}

// NewCut returns a Cut with [grace.DefaultCutMargin] and opts applied to it by apply, as
// [Apply] does: an adapter's
//
//	option.NewCut(opts, Option.apply)
func NewCut[O comparable](opts []O, apply func(O, *Cut)) Cut {
	return Apply(Cut{CutMargin: grace.DefaultCutMargin}, opts, apply)
}

// SetCutMargin sets the cut margin; one that is not positive is a problem.
func (c *Cut) SetCutMargin(d time.Duration) { c.CutMargin = c.Positive("cut margin", d) }

// Common is the part of its configuration an adapter of a client shares with the others: the
// [Cut] part (margin and problems) and the logger of what it gets past. An adapter's config
// embeds it, and its WithCutMargin and WithLogger options call SetCutMargin and SetLogger, so
// they check and default alike in every package.
type Common struct {
	Cut
	Logger *slog.Logger
}

// Defaults returns the common part before any option: [grace.DefaultCutMargin] and
// slog.Default().
func Defaults() Common {
	return Common{Cut: Cut{CutMargin: grace.DefaultCutMargin}, Logger: slog.Default()}
}

// SetLogger sets the logger; nil keeps the one set before.
func (c *Common) SetLogger(l *slog.Logger) { c.Logger = cmp.Or(l, c.Logger) }
