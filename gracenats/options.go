package gracenats

import (
	"log/slog"
	"time"

	"github.com/gracekit/grace/internal/option"
)

// DefaultBatch is how many messages a [Consumer] keeps pulled ahead of its handler, unless
// [WithBatch] says otherwise.
const DefaultBatch = 100

// Option configures a [Conn], a [Consumer] or a [Publisher]. Each takes the options that apply
// to it and ignores the others. A bad option does not fail the constructor: the component's
// Validate reports it, with every other problem, before anything starts.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

type config struct {
	batch int
	option.Common
}

func newConfig(opts []Option) config {
	return option.Apply(config{batch: DefaultBatch, Common: option.Defaults()}, opts, Option.apply)
}

// WithBatch sets how many messages the consumer pulls ahead of its handler (jetstream's
// PullMaxMessages; default [DefaultBatch]), and how many acks it sends before it waits for the
// server to confirm them — the bound on messages a crash makes the server deliver again. At a
// stop, the messages pulled but not yet handled are handed back to the server (nak) for
// immediate redelivery. Keep batch × handling time well
// under the consumer's AckWait, or messages waiting in the buffer are redelivered while they
// wait. Must be positive.
func WithBatch(n int) Option {
	return optionFunc(func(c *config) { c.batch = c.Count("batch", n) })
}

// WithCutMargin sets how long before its stop deadline the component cuts what it still has in
// hand (default [grace.DefaultCutMargin]; the rule is [grace.CutAt]): the connection stops
// draining and closes, the publisher stops waiting for acknowledgements, the consumer drains its
// pull while its handler is still busy. Must be positive.
func WithCutMargin(d time.Duration) Option {
	return optionFunc(func(c *config) { c.SetCutMargin(d) })
}

// WithLogger sets where the consumer logs errors it gets past (a failed ack, a pull error). The
// default is slog.Default(); nil keeps it.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.SetLogger(l) })
}
