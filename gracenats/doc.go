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
// closed handler. The drain ends at the earlier of nats' own drain timeout and the stop's
// deadline, where Stop closes the connection itself.
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
// hand-back counts as a delivery toward the consumer's MaxDeliver.
//
// # Loss accounting
//
// Both components are [grace.Accounter]s, so the app's report counts what a stop left undone.
// A [Consumer] never loses a message — JetStream delivers again every message not acked — so its
// account ("messages") is all HandedBack: messages pulled ahead and nak'd at the stop, or left
// for the AckWait when the server was out of reach or the hard stop came first, and the message
// in hand when the hard stop cut its handler off.
//
// An unreachable server never holds a stop beyond the component's limit: with the client
// reconnecting, the consumer drops its pull at once and the connection closes without draining
// ([ErrNotDrained]); with a server that accepts but does not answer, each stop ends at its limit.
package gracenats
