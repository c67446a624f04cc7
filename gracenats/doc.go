// Package gracenats runs NATS (github.com/nats-io/nats.go) as grace components: a connection
// that drains at its turn to stop, and a JetStream pull consumer that acks what it finished and
// hands back what it did not.
//
// # Connection
//
// A [Conn] wraps a *nats.Conn that you connect and share. Add it before the components that use
// it (or name it in their grace.DependsOn). At its turn — after they have stopped — it calls
// nats.Conn.Drain: subscriptions stop receiving and their handlers finish the messages already
// received, then the buffered publishes are flushed and the connection closes; Stop waits for the
// closed handler. The drain ends at the earlier of nats' own drain timeout and the stop's cut
// point, where Stop closes the connection itself and returns a [CutError].
//
// # JetStream consumer
//
// A [Consumer] is a [grace.Starter], [grace.Runner] and [grace.Stopper] for a durable pull
// consumer with explicit acks. It keeps up to [WithBatch] messages pulled ahead, hands them to
// its [Handler] one at a time and acks each one handled. At its turn to stop it stops pulling,
// finishes the message in hand (the handler's ctx stays live until the stop deadline), naks the
// messages pulled ahead so the server redelivers them at once, and flushes the connection so
// every ack and nak reaches the server before the connection drains. It naks only once the
// server has dropped its pull subscription and the pull requests it held for it (a drain, then
// a consumer-info round trip): a nats-server before 2.10.14 that gets a nak while it holds a
// request of a closed subscription delivers one message twice and keeps another until the
// AckWait (nats-io/nats-server#5305) — the race behind issue 12.
//
// Delivery is at least once. A clean stop handles nothing twice; a message is handled again only
// if its ack is lost — the process dies, or is cut off at its hard stop, between the handler's
// return and the ack reaching the server. Acks are sent as the messages are handled, and after
// every batch of them the consumer waits for the server to confirm them (a flush), so a crash
// makes the server deliver again at most one batch (plus the message in hand). The messages
// pulled ahead are never handled before they are handed back, so they are not duplicates. Each
// hand-back counts as a delivery toward the consumer's MaxDeliver. On a nats-server before
// 2.10.14 one window remains that the client cannot close: a stop that lands just as the
// consumer sent a pull request, before the server served it, while the server has nak'd messages
// to deliver, triggers the same server bug (a message twice, another after the AckWait). The
// tests check exactly-once across hundreds of random stops against nats-server 2.15.
//
// # Publisher
//
// A [Publisher] wraps the jetstream.JetStream that components publish through asynchronously
// (PublishAsync). Add it after the [Conn] and before the components that publish: at its turn it
// waits for the server to acknowledge every asynchronous publish, up to the cut point, and counts
// and reports ([UnackedError]) those it never acknowledged.
//
// # Loss accounting
//
// The components are [grace.Accounter]s, so the app's report counts what a stop left undone.
// A [Consumer] never loses a message — JetStream delivers again every message not acked — so its
// account ("messages") is all HandedBack: messages pulled ahead and nak'd at the stop, or left
// for the AckWait when the server was out of reach or the hard stop came first, and the message
// in hand when the hard stop cut its handler off. A [Conn]'s account ("messages") is Lost: the
// publishes made while the server was out of reach and buffered for a reconnect that never came
// before the stop closed the connection (messages that subscriptions received and their handlers
// never got, when a drain is cut off, are not counted: nats.go does not say how many). A
// [Publisher] counts ("messages") as Lost the asynchronous JetStream publishes the server had not
// acknowledged when its stop cut the wait off. A report with anything lost has exit code
// grace.ExitLost.
//
// Every stop that cuts work in hand does so at its cut point, grace.CutAt(ctx, margin) with
// [WithCutMargin] (default grace.DefaultCutMargin), the rule every adapter uses: the
// connection's drain, the publisher's wait for acknowledgements, and the consumer's drain of its
// pull when the handler is still busy. Every error that says work was cut — [CutError],
// [UnackedError] — matches grace.ErrCut and implements grace.CutError.
//
// # Configuration
//
// Options never fail a constructor. Each component's Validate reports what is wrong — bad
// options, a nil connection or JetStream context, empty names, a nil handler — as a
// *grace.ConfigError, which the app lists with every other problem before anything starts.
//
// An unreachable server never holds a stop beyond the component's limit: with the client
// reconnecting, the consumer drops its pull at once and the connection closes without draining
// ([ErrNotDrained]); with a server that accepts but does not answer, each stop ends at its limit.
package gracenats
