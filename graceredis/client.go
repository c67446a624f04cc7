package graceredis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/gracekit/grace/internal/option"
	"github.com/redis/go-redis/v9"
)

// Client is a grace component for a go-redis client (*redis.Client, *redis.ClusterClient or
// *redis.Ring): a [grace.Validator], a [grace.Starter], a [grace.Stopper] and a
// [grace.Accounter] (see [Client.Account]).
type Client struct {
	c   redis.UniversalClient
	cfg option.Cut

	mu      sync.Mutex
	stopped bool
	closing bool          // Close has been called: InUseAtClose is final
	closed  chan struct{} // closed when Close has returned
	stats   CloseStats
}

// CloseStats is what a [Client]'s stop found.
type CloseStats struct {
	InUseAtStop  int   // connections in use when Stop was called
	InUseAtClose int   // connections still in use when Close was called, cut by it
	Closed       bool  // Close has returned
	CloseErr     error // what Close returned
}

// New returns a component for c. The caller builds the client and hands the same client to the
// components that use it; the component closes it. Problems with opts, and a nil c, are
// returned by [Client.Validate], which the app calls before anything starts.
func New(c redis.UniversalClient, opts ...Option) *Client {
	return &Client{c: c, cfg: option.NewCut(opts, Option.apply)}
}

// Client returns the go-redis client.
func (c *Client) Client() redis.UniversalClient { return c.c }

// Validate returns a *grace.ConfigError naming every problem with the options, and a nil
// client. It returns the same answer every time and has no effect.
func (c *Client) Validate() error {
	return c.cfg.Err(option.Check(c.c == nil, "nil client"))
}

// Start pings Redis with ctx (the component's start limit): an unreachable server or a refused
// AUTH fails the app's start with "ping redis: <go-redis's error>". Since the app does not stop
// a component whose start failed, a failed ping closes the client. For a Client run outside an
// app, which would not have called [Client.Validate], Start first returns Validate's error.
func (c *Client) Start(ctx context.Context) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := c.c.Ping(ctx).Err(); err != nil {
		_ = c.c.Close() // closing sockets does not wait for the network
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// pollInterval is how often Stop looks at the pool while connections are in use: go-redis has no
// event for a connection going back to the pool.
const pollInterval = 5 * time.Millisecond

// Stop closes the client within ctx's deadline (the component's limit). While connections are in
// use it waits for them to go back to the pool, until the hard deadline — ctx's deadline less
// the cut margin ([WithCutMargin]), clamped to a tenth of the time left (grace.CutAt), or until
// ctx ends if it has no deadline. Then it calls Close, which cuts the connections still in use
// (their commands fail), and returns a *grace.InUseError if there were any (unit "connections";
// InUse those in use when Stop began, Forced those cut; it matches grace.ErrCut and is a
// grace.CutError).
// If Close itself has not returned when ctx ends, Stop returns ctx's cause and leaves it to
// finish. Calling Stop again waits for the same close.
func (c *Client) Stop(ctx context.Context) error {
	if c.c == nil {
		return nil
	}
	c.mu.Lock()
	first := !c.stopped
	c.stopped = true
	if first {
		c.stats.InUseAtStop = inUse(c.c)
		c.closed = make(chan struct{})
	}
	closed := c.closed
	c.mu.Unlock()

	if first {
		c.waitIdle(ctx)
		n := inUse(c.c)
		c.mu.Lock()
		c.stats.InUseAtClose, c.closing = n, true
		c.mu.Unlock()
		go func() {
			err := c.c.Close()
			c.mu.Lock()
			c.stats.Closed, c.stats.CloseErr = true, err
			c.mu.Unlock()
			close(closed)
		}()
	}

	var err error
	select {
	case <-closed:
		c.mu.Lock()
		if cerr := c.stats.CloseErr; cerr != nil && !errors.Is(cerr, redis.ErrClosed) {
			err = fmt.Errorf("close redis: %w", cerr)
		}
		c.mu.Unlock()
	case <-ctx.Done():
		err = fmt.Errorf("close redis: %w", context.Cause(ctx))
	}
	c.mu.Lock()
	st := c.stats
	c.mu.Unlock()
	if st.InUseAtClose > 0 {
		err = errors.Join(&grace.InUseError{Unit: "connections", InUse: st.InUseAtStop, Forced: st.InUseAtClose}, err)
	}
	return err
}

// waitIdle waits until no connection is in use, the hard deadline passes, or ctx ends.
func (c *Client) waitIdle(ctx context.Context) {
	if inUse(c.c) == 0 {
		return
	}
	hard, cancel := cutctx.Until(ctx, c.cfg.CutMargin)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for inUse(c.c) > 0 {
		select {
		case <-tick.C:
		case <-hard.Done(): // the hard deadline, or ctx's end
			return
		}
	}
}

// CloseStats returns what Stop found.
func (c *Client) CloseStats() CloseStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// inUse counts the connections of the command pool and, if the client has one, the pipeline
// pool that are checked out. Pub/sub connections are not counted: a subscription has no end to
// wait for, and Close ends it.
func inUse(c redis.UniversalClient) int {
	s := c.PoolStats()
	if s == nil {
		return 0
	}
	n := checkedOut(s)
	if s.PipelineStats != nil {
		n += checkedOut((*redis.PoolStats)(s.PipelineStats))
	}
	return n
}

func checkedOut(s *redis.PoolStats) int {
	if s.TotalConns < s.IdleConns {
		return 0
	}
	return int(s.TotalConns - s.IdleConns)
}
