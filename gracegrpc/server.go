package gracegrpc

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/internal/cutctx"
	"github.com/gracekit/grace/internal/option"
	"github.com/gracekit/grace/internal/quiet"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The grace interfaces a Server implements are checked by internal/conformance.
var _ grpc.ServiceRegistrar = (*Server)(nil)

// Server is a grace component that runs a *grpc.Server on a listener, with the standard health
// service (grpc.health.v1.Health) registered. It implements grace's Validator, Starter, Runner,
// Drainer, Quieter and Stopper:
//
//   - Validate checks the options and the listener; the app calls it before anything starts, so
//     a bad option is a configuration error ([grace.ErrInvalid]) and nothing starts.
//   - Start marks "" and every registered service SERVING in the health service (a service whose
//     status you set yourself before Start keeps it). Until then "" is NOT_SERVING.
//   - Run serves on the listener until the stop; an error from Serve stops the app.
//   - Drain (at the start of the app's drain, while everything still serves) closes the drain
//     channel every RPC can see through [Draining], sets "" and every registered service
//     NOT_SERVING for good (health.Server.Shutdown), and ends every health Watch stream right
//     after it has sent NOT_SERVING, so watchers learn of the drain and GracefulStop is not held
//     by them (grpc-go #8776, #8882). It waits at most the watch end timeout for that.
//   - Quiet, with [WithQuietPeriod], closes once no RPC has arrived for the quiet period since
//     the drain began, so the app's drain delay can end early.
//   - Stop runs GracefulStop (listener closed, two-phase GOAWAY, RPCs in flight finish) until
//     the cut point before the stop deadline (grace.CutAt), then cuts what is still running with
//     grpc's Stop and returns a [*CutError] naming the methods that were cut.
//   - Account (a grace.Accounter) counts the RPCs cut as lost, unit "rpcs": the app's report
//     shows them, and its exit code is grace.ExitLost.
//
// A Server is used once, in one app. Its methods are safe for concurrent use.
type Server struct {
	cfg    config
	lis    net.Listener
	srv    *grpc.Server
	health *health.Server

	drainCh   chan struct{} // closed when the drain begins
	drainOnce sync.Once

	quiet *quiet.Period // the quiet period, counted from the drain's start

	mu       sync.Mutex
	draining bool
	stopping bool
	cut      bool  // the hard stop has begun: RPCs ending from now on were cut
	cutEnded int64 // RPCs (health aside) that ended after the hard stop began
	calls    map[*call]struct{}
	watches  map[*watchStream]struct{}
}

// New returns a Server that will serve on lis. The Server owns lis from Start on: Stop closes
// it, and so does a Start that fails; if the app never starts the Server, close lis yourself.
// Register your services on it (it is a grpc.ServiceRegistrar) before the app runs. Problems with
// the options are returned by [Server.Validate] (and by Start).
func New(lis net.Listener, opts ...Option) *Server {
	s := &Server{
		cfg:     config{watchEndTimeout: DefaultWatchEndTimeout, cutMargin: grace.DefaultCutMargin},
		lis:     lis,
		health:  health.NewServer(),
		drainCh: make(chan struct{}),
		calls:   map[*call]struct{}{},
		watches: map[*watchStream]struct{}{},
	}
	option.Each(opts, func(o Option) { o.apply(&s.cfg) })
	s.quiet = quiet.New(s.cfg.quiet)
	serverOpts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	}, s.cfg.serverOpts...)
	s.srv = grpc.NewServer(serverOpts...)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthgrpc.RegisterHealthServer(s.srv, s.health)
	return s
}

// RegisterService registers a service and its implementation, as grpc.Server's does; generated
// RegisterXServer functions accept the Server. Register before the app runs.
func (s *Server) RegisterService(desc *grpc.ServiceDesc, impl any) {
	s.srv.RegisterService(desc, impl)
}

// GRPC returns the underlying *grpc.Server, for what the Server does not wrap (GetServiceInfo,
// reflection, channelz). Do not call its Stop, GracefulStop or Serve: the Server does.
func (s *Server) GRPC() *grpc.Server { return s.srv }

// Health returns the health service, to set the status of your services while the app runs.
// From the drain on, it ignores changes: everything stays NOT_SERVING. The Server registers it;
// do not register another health service.
func (s *Server) Health() *health.Server { return s.health }

// Addr returns the listener's address.
func (s *Server) Addr() net.Addr { return s.lis.Addr() }

// Validate returns a *grace.ConfigError naming every problem with the options, and a nil
// listener. It returns the same answer every time and has no effect.
func (s *Server) Validate() error {
	return s.cfg.Err(option.Check(s.lis == nil, "listener is nil"))
}

// Start marks "" and every registered service SERVING (services whose status was already set
// keep it). It does not wait; Run serves. For a Server run outside an app, which would not have
// called [Server.Validate], Start checks the configuration again: on a problem it closes the
// listener and returns Validate's error.
func (s *Server) Start(ctx context.Context) error {
	if err := s.Validate(); err != nil {
		if s.lis != nil {
			s.lis.Close()
		}
		return err
	}
	for _, name := range s.serviceNames() {
		if _, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: name}); err != nil {
			s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
		}
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return nil
}

// Run serves on the listener until the stop. It returns nil once Stop has stopped the server;
// any other end of Serve is an error (and stops the app). If ctx is cancelled — the engine's hard
// stop, past the stop deadline — the server is stopped at once.
func (s *Server) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, s.srv.Stop)
	defer stop()
	err := s.srv.Serve(s.lis)
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping && (err == nil || errors.Is(err, grpc.ErrServerStopped)) {
		return nil
	}
	if err == nil {
		err = errors.New("server stopped before its turn")
	}
	return err
}

// Drain begins the drain: the channel returned by [Draining] closes, the health service reports
// NOT_SERVING for "" and every registered service (and ignores later changes), and every health
// Watch stream ends with UNAVAILABLE right after it has sent NOT_SERVING. RPCs keep being
// served. Drain waits until the Watch streams have ended, at most the watch end timeout or until
// ctx ends; streams still open then (a client that does not read) are told to end and are cut
// by Stop if they do not. Safe to call more than once; it always returns nil.
func (s *Server) Drain(ctx context.Context) error {
	s.beginDrain()
	s.mu.Lock()
	open := make([]*watchStream, 0, len(s.watches))
	for w := range s.watches {
		open = append(open, w)
	}
	s.mu.Unlock()
	if len(open) == 0 {
		return nil
	}
	t := time.NewTimer(s.cfg.watchEndTimeout)
	defer t.Stop()
	for _, w := range open {
		select {
		case <-w.done:
		case <-t.C:
			s.endWatches(open)
			return nil
		case <-ctx.Done():
			s.endWatches(open)
			return nil
		}
	}
	return nil
}

// Stop stops the server: it drains first if Drain was not called (a stop during start), then
// runs GracefulStop — the listener closes, clients get GOAWAY, RPCs in flight run to their end.
// If that has not finished by the cut point — ctx's deadline less the cut margin, the margin
// clamped to a tenth of the time left (grace.CutAt) — or when ctx ends if it has no deadline,
// Stop records the RPCs still running, stops the server hard (their contexts are
// cancelled; clients get UNAVAILABLE), waits for the handlers to return for at most half the
// time then left, and returns a [*CutError] naming the RPCs cut and, as Stuck, those whose
// handlers ignore their context and still run. Otherwise it returns nil. Either way it returns
// before ctx's deadline, so the report carries its error rather than a bare timeout.
func (s *Server) Stop(ctx context.Context) error {
	begin := time.Now()
	s.mu.Lock()
	s.stopping = true
	s.quiet.Stop()
	s.mu.Unlock()
	s.beginDrain()

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.GracefulStop()
	}()
	if cutctx.Wait(ctx, s.cfg.cutMargin, done) {
		return nil
	}
	// The cut point has come, or ctx has ended.
	s.mu.Lock()
	s.cut = true
	s.mu.Unlock()
	err := &CutError{Waited: time.Since(begin), Methods: s.inFlight()}
	s.srv.Stop()
	// Wait for the handlers to see their cancelled contexts and return, but leave time to
	// return this error before the deadline: the engine would otherwise report a bare timeout.
	var unwound <-chan time.Time
	if deadline, ok := ctx.Deadline(); ok {
		t := time.NewTimer(time.Until(deadline) / 2)
		defer t.Stop()
		unwound = t.C
	}
	select {
	case <-done:
	case <-unwound:
		err.Stuck = s.inFlight()
	case <-ctx.Done():
		err.Stuck = s.inFlight()
	}
	return err
}

// Quiet returns a channel that closes once no RPC (health service calls aside) has arrived for
// the quiet period since the drain began, or nil when [WithQuietPeriod] is not set.
func (s *Server) Quiet() <-chan struct{} { return s.quiet.Done() }

// beginDrain closes the drain channel and turns health to NOT_SERVING, once.
func (s *Server) beginDrain() {
	s.drainOnce.Do(func() {
		s.mu.Lock()
		s.draining = true
		close(s.drainCh)
		s.mu.Unlock()
		s.quiet.Begin() // nothing after Stop's s.quiet.Stop
		for _, name := range s.serviceNames() {
			s.health.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
		}
		s.health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		s.health.Shutdown()
		// Watches whose last message already said "not serving" get no new one: end them now.
		s.mu.Lock()
		var ended []*watchStream
		for w := range s.watches {
			if w.notServing {
				ended = append(ended, w)
			}
		}
		s.mu.Unlock()
		s.endWatches(ended)
	})
}

// serviceNames lists the registered services, the health service excepted.
func (s *Server) serviceNames() []string {
	var names []string
	for name := range s.srv.GetServiceInfo() {
		if name != healthgrpc.Health_ServiceDesc.ServiceName {
			names = append(names, name)
		}
	}
	return names
}
