package gracekafka

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultMaxPollRecords is how many records a [Consumer] takes from one poll, unless
// [WithMaxPollRecords] says otherwise. It is the unit of work the consumer finishes at its turn
// to stop, and the bound on records handled twice after a crash.
const DefaultMaxPollRecords = 100

// LeaveAfterDeadline is how long a [Consumer] whose stop was cut off at its deadline keeps
// trying, in the background, to leave its group before it cancels its requests and closes.
// Without the leave, the group would hand the consumer's partitions to others only after the
// session timeout (45 s by default).
const LeaveAfterDeadline = time.Second

// Option configures a [Consumer].
type Option interface {
	apply(*config)
}

type config struct {
	client   []kgo.Opt
	maxPoll  int
	logger   *slog.Logger
	problems []string
}

type option func(*config)

func (o option) apply(c *config) { o(c) }

func newConfig(opts []Option) config {
	c := config{maxPoll: DefaultMaxPollRecords}
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

// WithClientOptions adds options for the consumer's franz-go client: at least the seed brokers
// (kgo.SeedBrokers), the group (kgo.ConsumerGroup) and what to consume (kgo.ConsumeTopics or
// kgo.ConsumeRegex). Options from several calls add up, in order.
//
// The consumer sets kgo.AutoCommitMarks, kgo.BlockRebalanceOnPoll, kgo.OnPartitionsRevoked and
// kgo.WithContext itself, after these options, so passing them here has no effect.
func WithClientOptions(opts ...kgo.Opt) Option {
	return option(func(c *config) { c.client = append(c.client, slices.Clone(opts)...) })
}

// WithMaxPollRecords sets how many records one poll returns at most (default
// [DefaultMaxPollRecords]). A smaller batch means a quicker soft stop and fewer records handled
// twice after a crash; a larger one, fewer offset commits. Must be positive.
func WithMaxPollRecords(n int) Option {
	return option(func(c *config) {
		if n <= 0 {
			c.problems = append(c.problems, fmt.Sprintf("max poll records must be positive, got %d", n))
		}
		c.maxPoll = n
	})
}

// WithLogger sets where the consumer logs fetch and commit errors that it retries rather than
// returns. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return option(func(c *config) { c.logger = l })
}
