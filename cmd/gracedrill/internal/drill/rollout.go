package drill

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/haproxy"
	"github.com/gracekit/grace/cmd/gracedrill/internal/process"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
)

// rolloutTail is how long load keeps going after the last restart finished.
const rolloutTail = 500 * time.Millisecond

// Rollout runs the rollout drill, what a Kubernetes rolling update does:
//
//  1. start Instances instances, each on a free port, and wait until each is ready;
//  2. start HAProxy with them as servers (health checks on the readiness path every LBInterval,
//     LBFall failures to take a server out) and send load through its frontend;
//  3. from SignalAt, Restarts times: start a new instance on a new port, wait until it is ready,
//     add it to HAProxy's backend (runtime API), send the signal to the oldest instance, and
//     wait for its exit (killing it after Budget); only then retire it from the backend. The
//     old address stays in the load balancer until its health check fails, as a removed pod's
//     endpoint does;
//  4. keep the load going until Duration and the last restart are over, then stop everything.
//
// Every process (instances and HAProxy) is killed and reaped before Rollout returns.
func Rollout(ctx context.Context, c config.Config, stderr io.Writer) (Result, error) {
	return inSession(ctx, c, stderr, rollout)
}

// rollout is Rollout's drill, in session s.
func rollout(ctx context.Context, s *session) (Result, error) {
	c, rec := s.c, s.rec

	listen := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	if c.Port == 0 {
		p, err := process.FreePort()
		if err != nil {
			return Result{}, err
		}
		listen = net.JoinHostPort(c.Host, strconv.Itoa(p))
	} else if err := process.CheckPortFree(listen); err != nil {
		return Result{}, fmt.Errorf("--url: %w", err)
	}

	var mu sync.Mutex
	var all []*instance
	var crashes []string
	defer func() { // stop politely, then reap every instance ever started
		mu.Lock()
		defer mu.Unlock()
		stopAll(all, c)
	}()
	start := func(id int) (*instance, error) {
		port, err := process.FreePort()
		if err != nil {
			return nil, err
		}
		ready := "http://" + net.JoinHostPort(c.Host, strconv.Itoa(port)) + c.ReadyPath
		in, err := s.startInstance(ctx, id, c.Host, port, ready)
		if err != nil {
			return nil, fmt.Errorf("instance %d: %w", id, err)
		}
		mu.Lock()
		all = append(all, in)
		mu.Unlock()
		go func() { // an instance that dies on its own fails the drill
			if e := in.exitEvent(rec); !in.signalled.Load() {
				rec.Add(e)
				mu.Lock()
				crashes = append(crashes, fmt.Sprintf("instance %d exited on its own (%s) %.3fs into the drill", in.id, e.Detail, e.At.Seconds()))
				mu.Unlock()
			}
		}()
		return in, nil
	}

	live := make([]*instance, 0, c.Instances)
	servers := make([]haproxy.Server, 0, c.Instances)
	for id := 1; id <= c.Instances; id++ {
		in, err := start(id)
		if err != nil {
			return Result{}, err
		}
		live = append(live, in)
		servers = append(servers, haproxy.Server{Name: serverName(id), Host: in.host, Port: in.port})
	}
	hap, err := haproxy.Start(ctx, c.HAProxy, haproxy.Config{
		Listen: listen, ReadyPath: c.ReadyPath, Interval: c.LBInterval, Fall: c.LBFall,
		Timeout: c.Timeout + time.Second, Servers: servers,
	}, s.serviceOutput(), c.StartTimeout)
	if err != nil {
		return Result{}, err
	}
	defer hap.Stop()

	if err := s.startLoad("http://" + listen); err != nil {
		return Result{}, err
	}
	defer s.stopLoad()
	defer s.stopProgress()
	loadEnd := time.Now().Add(c.Duration)

	// HAProxy watchers outlive their restart: a server may be marked down only after its
	// process exited. They end with the drill.

	var problems []string
	select {
	case <-ctx.Done():
		return Result{}, fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
	case <-time.After(c.SignalAt):
	}
	for k := 1; k <= c.Restarts; k++ {
		id := c.Instances + k
		s.setPhase(fmt.Sprintf("restart %d/%d: starting", k, c.Restarts))
		err := s.restart(ctx, hap, live, k, func() (*instance, error) { return start(id) })
		if err != nil {
			problems = append(problems, fmt.Sprintf("restart %d: %v", k, err))
			break
		}
	}
	s.setPhase("restarts done")
	select {
	case <-ctx.Done():
	case <-time.After(max(time.Until(loadEnd), rolloutTail)):
	}
	s.stopLoad()
	s.stopProgress()
	mu.Lock()
	problems = append(problems, crashes...)
	mu.Unlock()
	if err := hap.Exited(); err != nil { // failures measured after this are HAProxy's, not the service's
		problems = append(problems, fmt.Sprintf("HAProxy died during the drill: %v", err))
	}
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("drill interrupted: %w", context.Cause(ctx))
	}

	mu.Lock()
	ins := slices.Clone(all)
	mu.Unlock()
	service := s.serviceReport(ctx, ins, rec.Now()+c.Budget)
	return s.result(problems, service), nil
}

// restart replaces live[(k-1) mod len] with a new instance: start, wait ready, add to HAProxy,
// wait until HAProxy routes to it, signal the old one, wait for its exit, delete it.
func (s *session) restart(ctx context.Context, hap *haproxy.HAProxy,
	live []*instance, k int, start func() (*instance, error)) error {
	c, rec := s.c, s.rec
	slot := (k - 1) % len(live)
	old := live[slot]
	fresh, err := start()
	if err != nil {
		return err
	}
	if err := hap.AddServer(ctx, haproxy.Server{Name: serverName(fresh.id), Host: fresh.host, Port: fresh.port}); err != nil {
		return err
	}
	rec.Mark(record.LBAdded, fresh.id, "")
	if err := waitRouted(ctx, hap, serverName(fresh.id), true, 10*time.Second); err != nil {
		return err
	}
	live[slot] = fresh

	s.setPhase(fmt.Sprintf("restart %d/%d: draining #%d", k, c.Restarts, old.id))
	st, err := s.signal(ctx, old)
	if err != nil {
		return err
	}
	sig, _ := record.First(rec.Events(), record.Signal, old.id, 0)
	marked := make(chan struct{})
	s.watch(func(watchCtx context.Context) { // when does HAProxy take the old server out?
		if waitRouted(watchCtx, hap, serverName(old.id), false, c.Budget) == nil {
			rec.Mark(record.LBNotReady, old.id, "haproxy marked it down")
		}
		close(marked)
	})
	st.wait(rec, sig.At, c.Budget)
	// Retire the server only once HAProxy took it out by itself (or gave up): maintenance would
	// hide when its health check noticed.
	select {
	case <-marked:
	case <-time.After(c.Budget):
	case <-ctx.Done():
	}
	return hap.RetireServer(ctx, serverName(old.id))
}

// waitRouted polls HAProxy every 10 ms until it does (up) or does not (!up) route to server.
func waitRouted(ctx context.Context, hap *haproxy.HAProxy, server string, up bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		running, err := hap.Running(ctx)
		if err == nil && running[server] == up {
			return nil
		}
		if time.Now().After(deadline) {
			state := "up"
			if !up {
				state = "down"
			}
			return fmt.Errorf("haproxy did not mark %s %s within %v (last error: %v)", server, state, timeout, err)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stopAll sends the stop signal to every instance still running, gives them together up to
// min(Budget, 10 s) to exit, then kills every process group.
func stopAll(all []*instance, c config.Config) {
	deadline := time.NewTimer(min(c.Budget, 10*time.Second))
	defer deadline.Stop()
	for _, in := range all {
		in.signalled.Store(true)
		if !in.proc.Exited() {
			_ = in.proc.Signal(c.Signal)
		}
	}
wait:
	for _, in := range all {
		select {
		case <-in.proc.Done():
		case <-deadline.C:
			break wait
		}
	}
	for _, in := range all {
		in.proc.Kill()
	}
}

func serverName(id int) string { return "i" + strconv.Itoa(id) }
