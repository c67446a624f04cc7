package gracepgx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/gracekit/grace/internal/option"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool is a grace component for a *pgxpool.Pool: a [grace.Validator], a [grace.Starter], a
// [grace.Stopper] and a [grace.Accounter] (see [Pool.Account]).
type Pool struct {
	pool    *pgxpool.Pool
	cfg     option.Cut
	tracker *tracker

	mu      sync.Mutex
	stopped bool
	forced  bool          // the hard stop has run
	closed  chan struct{} // closed when pool.Close has returned
	stats   CloseStats
}

// CloseStats is what a [Pool]'s stop found.
type CloseStats struct {
	AcquiredAtStop int  // connections acquired when Stop was called
	Forced         int  // connections still acquired at the hard deadline, forced closed
	Closed         bool // the pool finished closing within the limit
}

// New creates the pool from cfg, which must come from pgxpool.ParseConfig, and returns its
// component. It installs AfterConnect and BeforeClose hooks on a copy of cfg to keep track of
// the connections (cfg's own hooks still run, first). Like pgxpool.NewWithConfig it does not
// connect: [Pool.Start] does. New fails for a nil cfg, and when pgxpool refuses cfg; problems
// with opts are returned by [Pool.Validate], which the app calls before anything starts.
func New(ctx context.Context, cfg *pgxpool.Config, opts ...Option) (*Pool, error) {
	c := option.NewCut(opts, Option.apply)
	if cfg == nil {
		return nil, errors.New("gracepgx: nil pool config")
	}
	t := &tracker{}
	cfg = cfg.Copy()
	afterConnect, beforeClose := cfg.AfterConnect, cfg.BeforeClose
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if afterConnect != nil {
			if err := afterConnect(ctx, conn); err != nil {
				return err
			}
		}
		t.add(conn)
		return nil
	}
	cfg.BeforeClose = func(conn *pgx.Conn) {
		t.remove(conn)
		if beforeClose != nil {
			beforeClose(conn)
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("gracepgx: create pool: %w", err)
	}
	return &Pool{pool: pool, cfg: c, tracker: t}, nil
}

// Pool returns the pgx pool, for the components that use it.
func (p *Pool) Pool() *pgxpool.Pool { return p.pool }

// Validate returns a *grace.ConfigError naming every problem with the options. It returns the
// same answer every time and has no effect.
func (p *Pool) Validate() error { return p.cfg.Err() }

// Start pings PostgreSQL with ctx (the component's start limit), opening a first connection: an
// unreachable server or a refused login fails the app's start with "ping database: <pgx's
// error>". Since the app does not stop a component whose start failed, a failed Start closes
// the pool itself. For a Pool run outside an app, which would not have called
// [Pool.Validate], Start first returns Validate's error (and closes the pool).
func (p *Pool) Start(ctx context.Context) error {
	err := p.Validate()
	if err == nil {
		err = p.pool.Ping(ctx)
		if err != nil {
			err = fmt.Errorf("ping database: %w", err)
		}
	}
	if err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeAfterFailedStartWait)
		defer cancel()
		_ = p.Stop(stopCtx)
		return err
	}
	return nil
}

// closeAfterFailedStartWait bounds closing the pool after a failed ping.
const closeAfterFailedStartWait = time.Second

// Stop closes the pool within ctx's deadline (the component's limit). It refuses new acquires,
// closes the idle connections and waits for the acquired ones to be released. At the hard
// deadline — ctx's deadline less the cut margin ([WithCutMargin]), clamped to a tenth of the
// time left (grace.CutAt), or when ctx ends if it has no deadline — it closes the socket of each
// connection still acquired (pgx sends a cancel request for a query in flight; PostgreSQL rolls
// back the open transaction), waits up to half the margin for their holders to release them,
// and returns a *grace.InUseError (unit "connections"; InUse the connections acquired when Stop
// began, Forced those forced closed; it matches grace.ErrCut and is a grace.CutError) — joined
// with ctx's cause if ctx has ended. A holder that never releases its connection keeps the
// pool's Close goroutine waiting after Stop has returned ([CloseStats].Closed stays false); the
// connection itself is closed. If no connection was left to force but the pool has still not
// closed, Stop returns [ErrStillClosing]. Stop never waits on the network. Calling it again
// waits for the same close.
func (p *Pool) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		p.stats.AcquiredAtStop = int(p.pool.Stat().AcquiredConns())
		p.closed = make(chan struct{})
		go func() {
			p.pool.Close()
			p.mu.Lock()
			p.stats.Closed = true
			p.mu.Unlock()
			close(p.closed)
		}()
	}
	closed := p.closed
	p.mu.Unlock()

	if cutctx.Wait(ctx, p.cfg.CutMargin, closed) {
		return nil
	}
	// The hard deadline has come (or ctx has ended). The hard stop: cut the connections still acquired, then give their holders a moment to
	// notice and release them, so the pool can finish closing.
	forced := p.tracker.force()
	p.mu.Lock()
	p.forced = true
	p.stats.Forced += forced
	inUse := &grace.InUseError{Unit: "connections", InUse: p.stats.AcquiredAtStop, Forced: p.stats.Forced}
	p.mu.Unlock()

	if deadline, ok := ctx.Deadline(); ok && ctx.Err() == nil {
		t := time.NewTimer(time.Until(deadline) / 2) // half the margin that was left
		defer t.Stop()
		select {
		case <-closed:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	var errs []error
	if forced > 0 {
		errs = append(errs, inUse)
	}
	select {
	case <-closed:
	default:
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("close pool: %w", context.Cause(ctx)))
		} else if forced == 0 {
			errs = append(errs, ErrStillClosing)
		}
	}
	return errors.Join(errs...)
}

// CloseStats returns what Stop found: connections acquired when it began, connections forced
// closed at the hard deadline, and whether the pool has finished closing.
func (p *Pool) CloseStats() CloseStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
