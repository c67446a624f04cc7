package gracekafka

import (
	"log/slog"
	"slices"
	"time"

	"github.com/gracekit/grace/internal/option"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultMaxPollRecords is how many records a [Consumer] takes from one poll, unless
// [WithMaxPollRecords] says otherwise. It is the unit of work the consumer finishes at its turn
// to stop, and the bound on records handled twice after a crash.
const DefaultMaxPollRecords = 100

// Option configures a [Consumer] or a [Producer]. Each takes the options that apply to it and
// ignores the others. A bad option does not fail the constructor: the component's Validate
// reports it, with every other problem, before anything starts.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (o optionFunc) apply(c *config) { o(c) }

type config struct {
	client  []kgo.Opt
	maxPoll int
	option.Common
}

func newConfig(opts []Option) config {
	return option.Apply(config{maxPoll: DefaultMaxPollRecords, Common: option.Defaults()}, opts, Option.apply)
}

// WithClientOptions adds options for the consumer's franz-go client: at least the seed brokers
// (kgo.SeedBrokers), the group (kgo.ConsumerGroup) and what to consume (kgo.ConsumeTopics or
// kgo.ConsumeRegex). Options from several calls add up, in order.
//
// The consumer sets kgo.AutoCommitMarks, kgo.BlockRebalanceOnPoll, kgo.OnPartitionsRevoked and
// kgo.WithContext itself, after these options, so passing them here has no effect.
func WithClientOptions(opts ...kgo.Opt) Option {
	return optionFunc(func(c *config) { c.client = append(c.client, slices.Clone(opts)...) })
}

// WithMaxPollRecords sets how many records one poll returns at most (default
// [DefaultMaxPollRecords]). A smaller batch means a quicker soft stop and fewer records handled
// twice after a crash; a larger one, fewer offset commits. Must be positive.
func WithMaxPollRecords(n int) Option {
	return optionFunc(func(c *config) { c.maxPoll = c.Count("max poll records", n) })
}

// WithCutMargin sets how long before its stop deadline the component cuts what it still has in
// hand (default [grace.DefaultCutMargin]; the rule is [grace.CutAt]): the consumer cancels its
// handler's ctx and hands the rest of the batch back, keeping the margin to commit, leave its
// group and close; the producer stops flushing and closes its client, failing the records still
// buffered. Must be positive.
func WithCutMargin(d time.Duration) Option {
	return optionFunc(func(c *config) { c.SetCutMargin(d) })
}

// WithLogger sets where the consumer logs fetch and commit errors that it retries rather than
// returns. The default is slog.Default(); nil keeps it.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.SetLogger(l) })
}
