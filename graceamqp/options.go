package graceamqp

import (
	"log/slog"
	"time"

	"github.com/gracekit/grace/internal/option"
)

// DefaultPrefetch is how many deliveries a [Consumer] lets the broker send ahead of its handler
// (the channel's prefetch count), unless [WithPrefetch] says otherwise.
const DefaultPrefetch = 50

// Option configures a [Conn], a [Consumer] or a [Publisher]. Each takes the options that apply
// to it and ignores the others. A bad option does not fail the constructor: the component's
// Validate reports it, with every other problem, before anything starts.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

type config struct {
	prefetch int
	autoAck  bool
	tag      string
	option.Common
}

func newConfig(opts []Option) config {
	return option.Apply(config{prefetch: DefaultPrefetch, Common: option.Defaults()}, opts, Option.apply)
}

// WithPrefetch sets the consumer's prefetch count (default [DefaultPrefetch]): how many
// deliveries the broker sends ahead of the handler, unacknowledged. It is also the most a crash
// can make the broker deliver again: a delivery is handled, then acked, so only deliveries the
// broker still counts as unacknowledged — at most the prefetch count — come back. At a stop, the
// deliveries prefetched but not started are handed back (nack with requeue). Must be positive.
// It does not apply with [WithAutoAck]: the broker then sends without limit.
func WithPrefetch(n int) Option {
	return optionFunc(func(c *config) { c.prefetch = c.Count("prefetch", n) })
}

// WithAutoAck makes the consumer consume with automatic acknowledgement: the broker forgets each
// message as it sends it. It is faster, but nothing can be handed back: at a stop the consumer
// handles the deliveries it has already received until its cut point, and those it could not
// handle — and a delivery whose handler failed or was cut — are counted as lost in the report.
// Without it (the default) every delivery is acked after its handler returns.
func WithAutoAck() Option {
	return optionFunc(func(c *config) { c.autoAck = true })
}

// WithConsumerTag sets the consumer tag the consumer subscribes with (the default is one made
// up from the queue's name and random bytes). Tags are unique per channel; the consumer has a
// channel of its own, so any tag will do: it is what the broker's management tools show.
func WithConsumerTag(tag string) Option {
	return optionFunc(func(c *config) {
		if tag == "" {
			c.Addf("consumer tag must not be empty")
		}
		c.tag = tag
	})
}

// WithCutMargin sets how long before its stop deadline the component cuts what it still has in
// hand (default [grace.DefaultCutMargin]; the rule is [grace.CutAt]): the consumer cancels its
// handler's ctx and stops waiting for the broker, the publisher stops waiting for confirms. The
// margin is what is left to close the channel in an orderly way. Must be positive.
func WithCutMargin(d time.Duration) Option {
	return optionFunc(func(c *config) { c.SetCutMargin(d) })
}

// WithLogger sets where the component logs what it gets past: a failed ack, a blocked
// connection, a broker that did not answer at the stop. The default is slog.Default(); nil
// keeps it.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.SetLogger(l) })
}
