package graceetcd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/chans"
	"github.com/gracekit/grace/internal/option"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// DefaultRetryMin and DefaultRetryMax bound the backoff between registration attempts.
const (
	DefaultRetryMin = 100 * time.Millisecond
	DefaultRetryMax = 5 * time.Second
)

// Registration is a grace component that keeps one key in etcd while the app is ready. It
// implements grace's Validator, Starter, Runner, Drainer and Stopper:
//
//   - Validate checks the configuration; the app calls it before anything starts, so a bad
//     option is a configuration error ([grace.ErrInvalid]) and nothing starts.
//   - Start checks the configuration again, for a Registration run outside an app.
//   - Run waits until the app is ready (grace.PhaseReady: every component has started, so the
//     instance can serve), then grants a lease of the TTL, puts key=value under it, and keeps the
//     lease alive. A failed attempt is logged and retried with a backoff (from [DefaultRetryMin]
//     to [DefaultRetryMax]); a lost lease (etcd unreachable for longer than the TTL, or revoked)
//     is replaced by a new registration. etcd trouble never fails the app.
//   - Drain, called as the app starts draining, revokes the lease — deleting the key — and
//     returns once etcd has confirmed, or with a [*DeregisterError] saying why not once the call
//     timeout or the component's limit has passed.
//   - Stop ends the keep-alive (deregistering first if Drain did not run) and lets Run return.
//
// The etcd client is yours: create it before and close it after (grace.Closer, added before the
// Registration, does that). A Registration is used once, in one app.
type Registration struct {
	app    *grace.App
	client *clientv3.Client
	key    string
	value  string
	cfg    config

	quitOnce sync.Once
	quitCh   chan struct{} // closed by the first of Drain and Stop
	stopOnce sync.Once
	stopCh   chan struct{} // closed by Stop
	done     chan struct{} // closed once deregistration is over (or nothing was registered)

	mu           sync.Mutex
	quitDeadline time.Time        // the deadline of the Drain or Stop that asked to quit
	byStop       bool             // the quit came from Stop, not Drain
	lease        clientv3.LeaseID // the lease in force, or 0
	deregErr     error
}

// New returns a Registration of key=value in etcd through client, for app (the app it is added
// to: it registers once app is ready). Problems with opts, a nil app or client and an empty key
// are returned by [Registration.Validate], which the app calls before anything starts.
func New(app *grace.App, client *clientv3.Client, key, value string, opts ...Option) *Registration {
	r := &Registration{
		app: app, client: client, key: key, value: value,
		cfg:    config{ttl: DefaultTTL, callTimeout: DefaultCallTimeout},
		quitCh: make(chan struct{}),
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}
	option.Each(opts, func(o Option) { o.apply(&r.cfg) })
	return r
}

// Validate returns a *grace.ConfigError naming every problem with the configuration: bad
// options, a nil app or client, an empty key. It calls no etcd, and returns the same answer every
// time.
func (r *Registration) Validate() error {
	return r.cfg.Err(option.Check(r.app == nil, "app is nil"),
		option.Check(r.client == nil, "etcd client is nil"), option.Check(r.key == "", "key is empty"))
}

// Start returns [Registration.Validate]'s error. It calls no etcd and does not wait.
func (r *Registration) Start(context.Context) error { return r.Validate() }

// Run registers once the app is ready and keeps the registration until Drain or Stop. It
// returns nil, or, when the deregistration was left to Stop and failed, a [*DeregisterError].
func (r *Registration) Run(ctx context.Context) error {
	select {
	case <-r.app.Await(grace.PhaseReady):
	case <-r.quitCh:
	case <-ctx.Done():
	}
	// Await's channel is also closed by a later phase (a failed start skips ready), and it can
	// close an instant before Phase reports the phase it marks: ready means not past ready.
	var lease clientv3.LeaseID
	if r.app.Phase() <= grace.PhaseReady && !chans.Closed(r.quitCh) && ctx.Err() == nil {
		lease = r.keep(ctx)
	}
	err := r.deregister(ctx, lease)
	r.mu.Lock()
	r.deregErr = err
	byStop := r.byStop
	r.mu.Unlock()
	close(r.done)
	if byStop {
		return err
	}
	// Deregistered at the drain (Drain reported the outcome): wait for the turn to stop.
	select {
	case <-r.stopCh:
	case <-ctx.Done():
	}
	return nil
}

// keep registers and keeps the lease alive, registering again when the lease is lost, until a
// quit or ctx ends. It returns the lease to revoke, or 0.
func (r *Registration) keep(ctx context.Context) clientv3.LeaseID {
	// live ends the keep-alive and cuts registration attempts short at the quit. The watcher
	// goroutine ends with live, and keep waits for it before returning.
	live, cancel := context.WithCancel(ctx)
	var watcher sync.WaitGroup
	defer watcher.Wait()
	defer cancel()
	watcher.Go(func() {
		select {
		case <-r.quitCh:
			cancel()
		case <-live.Done():
		}
	})

	backoff := DefaultRetryMin
	// given is the last lease given up as lost while no new one holds the key. The keep-alive
	// also ends when etcd stops answering, so that lease may still be alive, and the key with it:
	// it is the one to revoke at the quit, and a failure to is reported, not forgotten.
	var given clientv3.LeaseID
	for {
		lease, err := r.register(live)
		if err == nil {
			given = 0 // the key is under the new lease now
			r.setLease(lease)
			if lost := r.keepAlive(live, lease); !lost {
				return lease
			}
			r.cfg.Logger().Warn("graceetcd: lease lost, registering again", "key", r.key, "lease", fmt.Sprintf("%x", int64(lease)))
			given = lease
			backoff = DefaultRetryMin
		} else {
			if live.Err() != nil {
				if lease != 0 {
					return lease // a lease granted by an attempt cut short is revoked too
				}
				return given
			}
			r.cfg.Logger().Warn("graceetcd: registration failed, retrying", "key", r.key, "error", err, "retry_in", backoff)
			if lease != 0 {
				r.revoke(ctx, lease, time.Time{}) // the put failed: don't leave the lease behind
			}
		}
		r.setLease(given)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-live.Done():
			t.Stop()
			return given
		}
		backoff = min(2*backoff, DefaultRetryMax)
	}
}

func (r *Registration) setLease(lease clientv3.LeaseID) {
	r.mu.Lock()
	r.lease = lease
	r.mu.Unlock()
}

// register grants a lease and puts the key under it, each call bounded by the call timeout. It
// returns the lease if one was granted, even when the put failed.
func (r *Registration) register(ctx context.Context) (clientv3.LeaseID, error) {
	ttl := int64((r.cfg.ttl + time.Second - 1) / time.Second)
	gctx, cancel := context.WithTimeout(ctx, r.cfg.callTimeout)
	grant, err := r.client.Grant(gctx, ttl)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, r.cfg.callTimeout)
	_, err = r.client.Put(pctx, r.key, r.value, clientv3.WithLease(grant.ID))
	cancel()
	if err != nil {
		return grant.ID, fmt.Errorf("put %q: %w", r.key, err)
	}
	return grant.ID, nil
}

// keepAlive keeps lease alive until ctx ends (it returns false) or the lease is lost (true).
func (r *Registration) keepAlive(ctx context.Context, lease clientv3.LeaseID) (lost bool) {
	ch, err := r.client.KeepAlive(ctx, lease)
	if err != nil {
		return ctx.Err() == nil
	}
	for range ch { // the client renews at a third of the TTL; the responses need only be drained
	}
	return ctx.Err() == nil
}

// deregister revokes lease, if any, bounded by the call timeout and the quit's deadline.
func (r *Registration) deregister(ctx context.Context, lease clientv3.LeaseID) error {
	if lease == 0 {
		return nil
	}
	r.mu.Lock()
	deadline := r.quitDeadline
	r.mu.Unlock()
	return r.revoke(ctx, lease, deadline)
}

func (r *Registration) revoke(ctx context.Context, lease clientv3.LeaseID, deadline time.Time) error {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.callTimeout)
	defer cancel()
	if !deadline.IsZero() {
		var cancelDeadline context.CancelFunc
		cctx, cancelDeadline = context.WithDeadline(cctx, deadline)
		defer cancelDeadline()
	}
	begin := time.Now()
	if _, err := r.client.Revoke(cctx, lease); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		// (Not found: the lease expired, and the key went with it.)
		if cctx.Err() != nil {
			err = fmt.Errorf("no answer from etcd within %v: %w", time.Since(begin).Round(time.Millisecond), err)
		}
		return &DeregisterError{Key: r.key, Lease: lease, TTL: r.cfg.ttl, Err: err}
	}
	return nil
}

// Drain removes the key — first thing at the drain — by revoking the lease. It waits for etcd's
// answer, bounded by the call timeout and ctx, and returns nil, or a [*DeregisterError] saying
// why the key could not be removed (it then expires with its lease).
func (r *Registration) Drain(ctx context.Context) error {
	r.quit(ctx, false)
	select {
	case <-r.done:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.deregErr
	case <-ctx.Done():
		r.mu.Lock()
		defer r.mu.Unlock()
		return &DeregisterError{Key: r.key, Lease: r.lease, TTL: r.cfg.ttl, Err: context.Cause(ctx)}
	}
}

// Stop ends the registration: it deregisters if Drain did not (a stop during the start), ends
// the keep-alive, and lets Run return with the outcome. It does not wait; the engine waits for
// Run, within the component's limit.
func (r *Registration) Stop(ctx context.Context) error {
	r.quit(ctx, true)
	r.stopOnce.Do(func() { close(r.stopCh) })
	return nil
}

func (r *Registration) quit(ctx context.Context, byStop bool) {
	r.quitOnce.Do(func() {
		r.mu.Lock()
		if d, ok := ctx.Deadline(); ok {
			r.quitDeadline = d
		}
		r.byStop = byStop
		r.mu.Unlock()
		close(r.quitCh)
	})
}
