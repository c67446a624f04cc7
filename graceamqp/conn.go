package graceamqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gracekit/grace"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Conn runs an *amqp.Connection that you dialled as a grace component: a [grace.Starter],
// [grace.Runner] and [grace.Stopper]. Add it before the consumers and publishers that use the
// connection (or name it in their grace.DependsOn), so it closes after they have stopped.
//
// While the app runs, Conn watches the connection: if the broker or the network closes it, Run
// returns a [ClosedError], which stops the app with that error (amqp091-go is used without its
// automatic recovery: a supervisor restarts the service). When the broker blocks the
// connection (connection.blocked: a resource alarm — memory or disk — stops publishers), Conn
// logs it at warn level with the broker's reason, logs again when it is unblocked, and
// [Conn.Blocked] reports it, for a health check or a metric; a blocked connection delays
// publishes and their confirms, which each component bounds by its own stop limit.
//
// At its turn to stop, Conn closes the connection with the broker's handshake, bounded by the
// cut point of its stop ([grace.CutAt]); a broker that does not answer by then has its socket
// closed. Either way the connection is closed when Stop returns, which also ends any call that
// a consumer or publisher gave up waiting for.
type Conn struct {
	conn *amqp.Connection
	cfg  config

	mu       sync.Mutex
	closed   chan *amqp.Error
	blocks   chan amqp.Blocking
	stopping bool
	stopped  chan struct{} // closed when Stop returns: Run returns then, even if no close was notified
	blocked  bool
	reason   string
}

// NewConn returns a component for conn. Nothing happens before Start.
func NewConn(conn *amqp.Connection, opts ...Option) *Conn {
	return &Conn{conn: conn, cfg: newConfig(opts), stopped: make(chan struct{})}
}

// Validate reports a nil connection, one with automatic recovery on, and bad options, as a
// *grace.ConfigError.
func (c *Conn) Validate() error { return c.cfg.Err(connProblem(c.conn)) }

// connProblem names what makes conn unusable by the components — nil, or automatic recovery on —
// or returns "".
func connProblem(conn *amqp.Connection) string {
	switch {
	case conn == nil:
		return "nil *amqp.Connection"
	case conn.IsRecoveryEnabled():
		return "the connection has automatic recovery on (amqp.Config.Recovery): grace components cannot account for deliveries and confirms across a reconnect; leave it off and let the app stop and be restarted"
	}
	return ""
}

// Start checks the configuration (Validate) and that the connection is open, and starts
// listening for its close and for connection.blocked notifications.
func (c *Conn) Start(ctx context.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.conn.IsClosed() {
		return fmt.Errorf("amqp connection: %w", amqp.ErrClosed)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = c.conn.NotifyClose(make(chan *amqp.Error, 1))
	c.blocks = c.conn.NotifyBlocked(make(chan amqp.Blocking, 8))
	return nil
}

// Run watches the connection until it closes. It returns nil once Stop has returned (amqp091-go
// does not notify a close whose handshake timed out), or ctx ended; a [ClosedError] with the
// broker's reason if anything else closed it.
func (c *Conn) Run(ctx context.Context) error {
	c.mu.Lock()
	closed, blocks := c.closed, c.blocks
	c.mu.Unlock()
	if closed == nil {
		return errors.New("graceamqp: connection not started")
	}
	for {
		select {
		case reason, ok := <-closed:
			c.mu.Lock()
			stopping := c.stopping
			c.mu.Unlock()
			if stopping {
				return nil
			}
			e := &ClosedError{What: "connection"}
			if ok {
				e.Err = reason
			}
			c.cfg.logger.Error("graceamqp: connection closed by the broker or the network", "error", e)
			return e
		case b, ok := <-blocks:
			if !ok {
				blocks = nil // closed with the connection; the close arrives on closed
				continue
			}
			c.mu.Lock()
			c.blocked, c.reason = b.Active, b.Reason
			c.mu.Unlock()
			if b.Active {
				c.cfg.logger.Warn("graceamqp: the broker blocked the connection; publishes wait", "reason", b.Reason)
			} else {
				c.cfg.logger.Info("graceamqp: the broker unblocked the connection")
			}
		case <-c.stopped:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// Blocked reports whether the broker has blocked the connection (connection.blocked, sent when
// a resource alarm stops publishers) and the reason it gave.
func (c *Conn) Blocked() (blocked bool, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocked, c.reason
}

// closeWithoutDeadline bounds the close handshake when Stop's ctx has no deadline.
const closeWithoutDeadline = 10 * time.Second

// Stop closes the connection: the close handshake with the broker, bounded by half the time to
// the cut point of ctx ([grace.CutAt] with [WithCutMargin]; 10 s without a deadline). Past it the
// socket is closed without the broker's answer, and Stop returns the I/O error — at the latest at
// the cut point, leaving the connection's teardown to finish in the background if it takes
// longer. A connection the broker already closed returns nil (Run has reported it). Calling Stop
// again does nothing.
func (c *Conn) Stop(ctx context.Context) error {
	c.mu.Lock()
	if c.stopping || c.conn == nil {
		c.mu.Unlock()
		return nil
	}
	c.stopping = true
	c.mu.Unlock()
	defer close(c.stopped)
	// The close handshake gets half the time to the cut point: a broker that answers does so in
	// milliseconds. Past the socket's deadline amqp091-go still tears the connection down (its
	// channels and their consumers), which Stop waits for until the cut point, not beyond.
	cut, ok := grace.CutAt(ctx, c.cfg.cutMargin)
	if !ok {
		cut = time.Now().Add(closeWithoutDeadline)
	}
	at := time.Now().Add(time.Until(cut) / 2)
	done := make(chan error, 1)
	go func() { done <- c.conn.CloseDeadline(at) }()
	wait, cancel := context.WithDeadline(ctx, cut)
	defer cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, amqp.ErrClosed) {
			return fmt.Errorf("close amqp connection: %w", err)
		}
		return nil
	case <-wait.Done():
		return fmt.Errorf("close amqp connection: the broker did not answer; the socket closes in the background: %w", context.Cause(wait))
	}
}
