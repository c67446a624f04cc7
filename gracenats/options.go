package gracenats

import (
	"fmt"
	"log/slog"
)

// DefaultBatch is how many messages a [Consumer] keeps pulled ahead of its handler, unless
// [WithBatch] says otherwise.
const DefaultBatch = 100

// Option configures a [Consumer].
type Option interface {
	apply(*config)
}

type config struct {
	batch    int
	logger   *slog.Logger
	problems []string
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

func newConfig(opts []Option) config {
	c := config{batch: DefaultBatch}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithBatch sets how many messages the consumer pulls ahead of its handler (jetstream's
// PullMaxMessages; default [DefaultBatch]), and how many acks it sends before it waits for the
// server to confirm them — the bound on messages a crash makes the server deliver again. At a
// stop, the messages pulled but not yet handled are handed back to the server (nak) for
// immediate redelivery. Keep batch × handling time well
// under the consumer's AckWait, or messages waiting in the buffer are redelivered while they
// wait. Must be positive.
func WithBatch(n int) Option {
	return option(func(c *config) {
		if n <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("batch must be positive, got %d", n))
		}
		c.batch = n
	})
}

// WithLogger sets where the consumer logs errors it gets past (a failed ack, a pull error). The
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return option(func(c *config) { c.logger = l })
}
