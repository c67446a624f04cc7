package gracenats

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/gracekit/grace/internal/option"
	"github.com/nats-io/nats.go"
)

// Conn is a NATS connection as a grace component: a [grace.Starter] and a [grace.Stopper]. At its
// turn to stop it drains the connection — subscriptions first, so their handlers finish the
// messages already received, then the publishes still buffered — and closes it. Add it before
// the components that use the connection (or name it in their grace.DependsOn), so that it
// drains after they have stopped.
type Conn struct {
	nc  *nats.Conn
	cfg config

	mu        sync.Mutex
	draining  bool
	drainErrs []error
	closed    chan struct{}
	closeOnce sync.Once

	// outAtDisconnect is the connection's count of publishes when it last lost the server (-1
	// while connected): those made since are buffered for the reconnect.
	outAtDisconnect atomic.Int64
	lost            atomic.Int64 // publishes dropped, never sent
}

// NewConn returns a component for nc. The caller connects (nats.Connect) and hands nc to the
// components that use it; the component drains and closes it.
//
// NewConn installs closed, async-error, disconnect and reconnect handlers on nc that call the
// ones nc had, so that Stop can wait for the close, collect the drain's errors and count the
// publishes buffered while the server is out of reach. Set your own handlers before NewConn
// (nats.ClosedHandler, nats.ErrorHandler, nats.DisconnectErrHandler, nats.ReconnectHandler), not
// after.
//
// It takes [WithCutMargin].
func NewConn(nc *nats.Conn, opts ...Option) *Conn {
	c := &Conn{nc: nc, cfg: newConfig(opts), closed: make(chan struct{})}
	c.outAtDisconnect.Store(-1)
	if nc == nil {
		return c
	}
	userDisconnect := nc.DisconnectErrHandler()
	nc.SetDisconnectErrHandler(func(nc *nats.Conn, err error) {
		c.outAtDisconnect.CompareAndSwap(-1, int64(nc.Stats().OutMsgs))
		if userDisconnect != nil {
			userDisconnect(nc, err)
		}
	})
	userReconnect := nc.ReconnectHandler()
	nc.SetReconnectHandler(func(nc *nats.Conn) {
		c.outAtDisconnect.Store(-1)
		if userReconnect != nil {
			userReconnect(nc)
		}
	})
	userClosed := nc.ClosedHandler()
	nc.SetClosedHandler(func(nc *nats.Conn) {
		if userClosed != nil {
			userClosed(nc)
		}
		c.markClosed()
	})
	userErr := nc.ErrorHandler()
	nc.SetErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
		c.mu.Lock()
		if c.draining {
			c.drainErrs = append(c.drainErrs, err)
		}
		c.mu.Unlock()
		if userErr != nil {
			userErr(nc, sub, err)
		}
	})
	return c
}

func (c *Conn) markClosed() { c.closeOnce.Do(func() { close(c.closed) }) }

// Conn returns the connection.
func (c *Conn) Conn() *nats.Conn { return c.nc }

// Closed returns a channel that is closed once the connection has closed and its closed
// handler has run.
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// Validate reports a nil connection and the options that are wrong, as a *grace.ConfigError.
func (c *Conn) Validate() error {
	return c.cfg.Err(option.Check(c.nc == nil, "nil *nats.Conn"))
}

// Start checks that the server answers: a round trip (flush) bounded by ctx, so an unreachable
// server fails the app's start with "reach nats server: ...". A configuration that Validate
// rejects fails too.
// nats.go requires ctx to carry a deadline: the engine's start context always does; called by
// hand, give it one (context.WithTimeout), or Start fails with nats' "context requires a
// deadline".
func (c *Conn) Start(ctx context.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := c.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("reach nats server: %w", err)
	}
	return nil
}

// Stop drains the connection (nats.Conn.Drain): every subscription stops receiving and its
// handler finishes the messages already received, then the buffered publishes are flushed and
// the connection closes. Stop waits for the closed handler to have run, so it returns once
// everything is released.
//
// The drain ends at whichever comes first: the connection's own drain timeout
// (nats.DrainTimeout, default 30 s, reported as nats.ErrDrainTimeout) or the cut point,
// grace.CutAt(ctx, margin) ([WithCutMargin]), at which Stop closes the connection itself —
// dropping what is not yet drained — and returns a [CutError] without waiting further. If the
// server is unreachable when the stop begins (the client is reconnecting), the connection cannot
// be drained: nats.go closes it at once and Stop returns an error matching [ErrNotDrained]; the
// publishes buffered for the reconnect are lost, and counted ([Conn.Account]).
// Errors the drain reports (a subscription that could not be drained, a flush that failed)
// are returned joined. A connection already closed is not an error.
func (c *Conn) Stop(ctx context.Context) error {
	if c.nc == nil {
		return nil
	}
	c.mu.Lock()
	c.draining = true
	c.mu.Unlock()
	buffered, _ := c.nc.Buffered()
	out := int64(c.nc.Stats().OutMsgs)
	err := c.nc.Drain()
	switch {
	case errors.Is(err, nats.ErrConnectionClosed):
		return nil
	case errors.Is(err, nats.ErrConnectionReconnecting):
		if at := c.outAtDisconnect.Load(); at >= 0 && buffered > 0 {
			c.lost.Store(max(out-at, 1)) // at least one publish is in the dropped bytes
		}
		c.waitClosed(ctx)
		return &NotDrainedError{BufferedBytes: buffered, Publishes: c.lost.Load(), Err: err}
	case err != nil:
		return fmt.Errorf("drain: %w", err)
	}
	cutCtx, cancel := cutctx.Until(ctx, c.cfg.cutMargin)
	defer cancel()
	if !c.waitClosed(cutCtx) {
		c.nc.Close()
		return &CutError{What: "drain", Err: context.Cause(cutCtx)}
	}
	c.mu.Lock()
	errs := c.drainErrs
	c.mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("drain: %w", errors.Join(errs...))
	}
	return nil
}

// Account reports, in "messages", the publishes the connection lost: made while the server was
// out of reach and buffered for a reconnect that never came before the stop closed the
// connection (at least one when bytes were buffered). Messages that subscriptions had received
// and their handlers never got, when a drain is cut off, are not counted: nats.go does not say
// how many. It is safe for concurrent use.
func (c *Conn) Account() grace.Account {
	return grace.Account{Unit: "messages", Lost: c.lost.Load()}
}

// waitClosed waits for the closed handler until ctx ends and reports whether it ran. A
// connection made with nats.NoCallbacksAfterClientClose runs no closed handler once closed, so
// for it the closed state is enough.
func (c *Conn) waitClosed(ctx context.Context) bool {
	if c.nc.Opts.NoCallbacksAfterClientClose {
		ch := c.nc.StatusChanged(nats.CLOSED)
		defer c.nc.RemoveStatusListener(ch)
		if !c.nc.IsClosed() {
			select {
			case <-ch:
			case <-ctx.Done():
				return false
			}
		}
		c.markClosed()
		return true
	}
	select {
	case <-c.closed:
		return true
	case <-ctx.Done():
		return false
	}
}
