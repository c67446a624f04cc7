// Package graceamqp runs RabbitMQ (github.com/rabbitmq/amqp091-go) as grace components: a
// connection watched while the app runs and closed last, a queue consumer that finishes what it
// has in hand and hands back what it was sent ahead, and a publisher that waits for the broker's
// confirms — each bounded by its stop limit, each counting in the report what it handed back or
// lost.
//
// # Connection
//
// A [Conn] wraps the *amqp.Connection you dial. Add it first (or name it in the other
// components' grace.DependsOn): it closes after them. While the app runs, a connection the
// broker or the network closes stops the app with a [ClosedError], and connection.blocked is
// logged and reported by [Conn.Blocked]. At its turn it closes the connection, bounded by its
// cut point ([grace.CutAt]); a broker that does not answer has its socket closed.
//
// # Consumer
//
// A [Consumer] subscribes to a queue on a channel of its own with a prefetch count
// ([WithPrefetch]) and hands each delivery to its [Handler], one at a time, acking each one
// handled. At its turn to stop it cancels the subscription (no new deliveries), lets the
// handler finish the delivery in hand and acks it, hands back with a nack and requeue the
// deliveries prefetched but not started, and closes its channel. At its cut point the handler's
// ctx is cancelled (cause grace.ErrCut) and the consumer stops waiting for the broker.
//
// Delivery is at least once. A clean stop handles nothing twice and loses nothing: what the
// handler did not finish goes back to the broker, which delivers it again at once, and the
// report counts it as handed back. A crash (SIGKILL) can make the broker deliver again at most
// a prefetch of messages — those handled whose acks it never got. With [WithAutoAck] the broker
// forgets each message as it sends it: nothing can be handed back, and what the consumer
// received and did not handle is counted as lost, which makes the run's exit code
// grace.ExitLost.
//
// # Publisher
//
// A [Publisher] publishes on a channel of its own in confirm mode. [Publisher.Publish] waits for
// the broker's confirm; [Publisher.PublishDeferred] returns at once with the confirmation to wait
// on. At its turn to stop the publisher refuses new messages ([ErrStopped]) and waits, until its
// cut point, for the confirms still outstanding; a message the broker never confirmed, or
// refused, is counted as lost.
//
// # Failures
//
// amqp091-go's calls that wait for the broker (open, cancel, close a channel) have no deadline of
// their own. Every one made here is bounded by the component's limit; one given up on returns
// when the connection closes, which [Conn] does at its turn, at the latest at its deadline — so
// a frozen or vanished broker never holds a stop beyond its limit. Connections with amqp091-go's
// automatic recovery (amqp.Config.Recovery) are refused by the components' Validate, before
// anything starts: across a reconnect, deliveries and confirms cannot be accounted for.
//
// # Errors and configuration
//
// Options never fail a constructor: each component's Validate reports what is wrong — bad
// options, a nil connection, empty names, a nil handler — as a *grace.ConfigError, which the app
// lists with every other problem before anything starts. Every cut at a cut point
// ([WithCutMargin], grace.CutAt) is reported as a [CutError], which matches grace.ErrCut and
// implements grace.CutError.
package graceamqp
