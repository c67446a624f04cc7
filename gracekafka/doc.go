// Package gracekafka runs Kafka clients (github.com/twmb/franz-go) as grace components: a
// group [Consumer] that commits only what it handled and stops without losing or re-handling
// more than one batch, and a [Producer] that flushes before it closes.
//
// # Consumer
//
// A [Consumer] is a [grace.Starter], [grace.Runner] and [grace.Stopper]. Start creates the
// franz-go client and pings the brokers. Run polls batches of at most [WithMaxPollRecords]
// records and calls the [Handler] for each, one at a time; after every batch it commits the
// offsets of the records handled. At its turn to stop (after every component that depends on it)
// it stops polling, finishes the batch in hand — the handler's ctx stays live — commits, leaves
// the group so that its partitions move to other members at once, and closes the client, all
// within the component's stop limit. At its cut point — grace.CutAt(ctx, margin), with
// [WithCutMargin] (default grace.DefaultCutMargin), the rule every adapter uses — the handler's
// ctx is cancelled (cause grace.ErrCut), what was not handled is not committed, and the margin
// left is for the commit, the leave and the close; the stop returns a [CutError], which matches
// grace.ErrCut and implements grace.CutError, as [UndeliveredError] does. At the limit itself
// (the hard stop) the stop returns whatever it was still doing.
//
// Options never fail a constructor: each component's Validate reports what is wrong — bad
// options, an empty group name, a nil handler or client — as a *grace.ConfigError, which the
// app lists with every other problem before anything starts.
//
// Delivery is at least once, and the window for handling a record twice is one batch: a record
// is committed only after its handler returned nil, and every batch is committed before the
// next poll. A clean stop handles nothing twice. A crash, or a hard stop, between a handler's
// return and its batch's commit leaves at most one batch to be handled again. Partition
// rebalances cannot split a batch: the client blocks rebalances while a batch is in hand and
// commits in its revoke callback.
//
// # Loss accounting
//
// Both components are [grace.Accounter]s ("records"), so the app's report counts what a stop
// left undone. A [Consumer] loses nothing — the group delivers again every record not committed —
// so its account is all HandedBack: records fetched and not committed at its stop (those of the
// batch in hand that the hard stop or a handler's error left, those fetched ahead and still
// buffered in the client, and handled records whose commit failed). A [Producer] counts as Lost
// the records still unacknowledged when its flush was cut off and its close failed them; a
// report with anything lost has exit code grace.ExitLost.
//
// A consumer stopped while it rejoins its group waits for the join, which the broker holds until
// every member has rejoined or the rebalance timeout (kgo.RebalanceTimeout, a minute by default)
// has passed; a stop limit shorter than that can then time out.
//
// # Producer
//
// A [Producer] wraps a *kgo.Client that you create and share with the components that produce.
// Add it before them (or name it in their grace.DependsOn): they stop producing first, then it
// flushes every buffered record and closes the client. If the brokers are unreachable, the flush
// is cut off at its cut point, grace.CutAt(ctx, margin) with [WithCutMargin] — the rule every
// adapter uses — and the stop reports the records not delivered ([UndeliveredError], a
// grace.CutError) and counts them as lost.
//
// # Testing without a broker
//
// No Kafka broker can be installed on the machines this module is tested on. Its tests and
// example run against kfake (github.com/twmb/franz-go/pkg/kfake), franz-go's in-process cluster,
// which listens on real sockets and speaks the real Kafka protocol — produce, fetch, consumer
// groups with joins, syncs, heartbeats, offset commits and leaves — so the code paths are the
// ones a real broker exercises.
package gracekafka
