// Package option is the option plumbing the adapters of this repository share. An adapter's
// Option is either an alias of [Func] over its own unexported config (applied with [Apply]), or
// an interface with an unexported apply method over it (applied with [Each]). The config embeds a
// [Problems] (or a [Logged]), and each option checks its value through it as it is applied
// instead of failing: the constructor never fails for an option, and the adapter's Validate
// (grace.Validator) returns what was collected as a *grace.ConfigError, which the engine lists
// problem by problem under the component's name before anything starts.
//
// The package belongs to the root module; Go's internal rule goes by import path, so every
// module of this repository can import it.
package option

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gracekit/grace"
)

// Problems collects what is wrong with the options applied to one config. The zero value is
// ready. It is not safe for concurrent use; options are applied once, by the constructor.
type Problems struct {
	list []string
}

// Addf records one problem. The text names the option's setting and the bad value, without the
// component's name or the package's (the engine adds the component's name).
func (p *Problems) Addf(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// Positive records "<what> must be positive, got <d>" when d is not positive, and returns d.
func (p *Problems) Positive(what string, d time.Duration) time.Duration {
	if d <= 0 {
		p.Addf("%s must be positive, got %v", what, d)
	}
	return d
}

// AtLeast records "<what> must be at least <least>, got <d>" when d is below least, and returns
// d.
func (p *Problems) AtLeast(what string, d, least time.Duration) time.Duration {
	if d < least {
		p.Addf("%s must be at least %v, got %v", what, least, d)
	}
	return d
}

// Err returns the problems collected, followed by more (problems the adapter finds outside its
// options: a nil client, an empty key; empty ones are skipped), as a *grace.ConfigError; nil if
// there are none. It has no effect on p, so it returns the same answer every time.
func (p *Problems) Err(more ...string) error {
	all := slices.Clone(p.list)
	for _, m := range more {
		if m != "" {
			all = append(all, m)
		}
	}
	if len(all) == 0 {
		return nil
	}
	return &grace.ConfigError{Problems: all}
}

// Check returns problem if bad is true, and "" otherwise: a shorthand for the arguments of
// [Problems.Err], which skips empty problems.
func Check(bad bool, problem string) string {
	if bad {
		return problem
	}
	return ""
}

// Logged is what the config of an adapter that logs embeds: the [Problems] found while applying
// its options, and the logger its WithLogger option sets.
type Logged struct {
	Problems
	logger *slog.Logger
}

// SetLogger sets the logger; nil means slog.Default().
func (c *Logged) SetLogger(l *slog.Logger) { c.logger = l }

// Logger returns the logger set, or slog.Default() if none was (read when called, so a default
// logger changed after the options were applied is the one used).
func (c *Logged) Logger() *slog.Logger {
	if c.logger == nil {
		return slog.Default()
	}
	return c.logger
}
