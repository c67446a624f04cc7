package drill

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/config"
	"github.com/gracekit/grace/cmd/gracedrill/internal/lb"
	"github.com/gracekit/grace/cmd/gracedrill/internal/load"
	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/servicereport"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// session is what every drill runs on: the recording, the prober, the load generator with its
// progress line, and the phase that line shows. Its goroutines end with stopLoad, stopProgress
// and stopWatching.
type session struct {
	c       config.Config
	stderr  io.Writer
	rec     *record.Recording
	prober  *lb.Prober
	gen     *load.Generator
	genDone chan struct{}
	phase   atomic.Value
	prog    *progress
	src     *servicereport.Source // --service-report, or nil

	// The watchers — the load balancer's poll, readiness and exit watchers — run with watchCtx
	// until stopWatching.
	watchCtx  context.Context
	stopWatch context.CancelFunc
	watchers  sync.WaitGroup
}

// newSession begins the recording now and opens --service-report, if given. Its watchers end
// with ctx or at stopWatching.
func newSession(ctx context.Context, c config.Config, stderr io.Writer) (*session, error) {
	s := &session{c: c, stderr: stderr, rec: record.New(time.Now()), prober: lb.NewProber(lb.DefaultProbeTimeout)}
	if c.ServiceReport != "" {
		var err error
		if s.src, err = servicereport.Open(c.ServiceReport, s.rec.Start()); err != nil {
			return nil, err
		}
	}
	s.watchCtx, s.stopWatch = context.WithCancel(ctx)
	return s, nil
}

// watch runs f as a watcher: its context ends at stopWatching, which waits for it.
func (s *session) watch(f func(ctx context.Context)) { s.watchers.Go(func() { f(s.watchCtx) }) }

// stopWatching ends the watchers and waits for them. It may be called more than once.
func (s *session) stopWatching() {
	s.stopWatch()
	s.watchers.Wait()
}

// startLoad starts the open-loop load on the base URL and the progress line.
func (s *session) startLoad(baseURL string) error {
	c := s.c
	base, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	s.gen = load.New(load.Config{Base: base, Rate: c.Rate, Targets: c.Targets, Timeout: c.Timeout}, s.rec)
	s.genDone = make(chan struct{})
	go func() { defer close(s.genDone); s.gen.Run() }()
	s.setPhase("serving")
	var out io.Writer
	if !c.Quiet {
		out = s.stderr
	}
	s.prog = startProgress(out, s.rec, s.gen, func() string { return s.phase.Load().(string) })
	return nil
}

// stopLoad stops sending and waits for the requests in flight. It may be called more than once.
func (s *session) stopLoad() {
	if s.gen != nil {
		s.gen.Stop()
		<-s.genDone
	}
}

// stopProgress ends the progress line.
func (s *session) stopProgress() {
	if s.prog != nil {
		s.prog.stop()
		s.prog = nil
	}
}

func (s *session) setPhase(p string) { s.phase.Store(p) }

// serviceOutput is where the service's output goes: the drill's stderr with --service-output.
func (s *session) serviceOutput() io.Writer {
	if s.c.ServiceOutput {
		return s.stderr
	}
	return nil
}

// pollLB plays the load balancer, as a watcher: from the first probe on (see lb.FirstProbe) it
// polls readiness every LBInterval and, at the first "not ready", stops sending, records it and
// closes the returned channel.
func (s *session) pollLB() <-chan struct{} {
	out := make(chan struct{})
	c := s.c
	s.watch(func(ctx context.Context) {
		s.prober.Poll(ctx, c.ReadyURL, lb.FirstProbe(c.SignalAt, c.LBInterval), c.LBInterval, func(at time.Time, why error) {
			s.gen.Stop()
			s.rec.MarkAt(record.LBNotReady, s.rec.Since(at), 0, why.Error())
			s.setPhase("load balancer took it out")
			close(out)
		})
	})
	return out
}

// watchStop records, on wg until ctx ends, when the service at addr stops being ready
// (NotReady) and closes its listener (ListenerClosed), as instance id.
func (s *session) watchStop(ctx context.Context, wg *sync.WaitGroup, readyURL, addr string, id int) {
	wg.Go(func() {
		s.prober.Watch(ctx, readyURL, addr, lb.DefaultWatchInterval, func(what string, t time.Time) {
			name := record.NotReady
			if what == "listener closed" {
				name = record.ListenerClosed
			}
			s.rec.MarkAt(name, s.rec.Since(t), id, "")
		})
	})
}

// result stops the load and builds the drill's result: the recording and its summary.
func (s *session) result(problems []string, service *summary.Service) Result {
	s.stopLoad()
	rate, window, behind := s.gen.Achieved()
	c := s.c
	res := Result{Requests: s.rec.Requests(), Events: s.rec.Events()}
	res.Summary = summary.Build(summary.Input{
		Mode: c.Mode, AskedRate: c.Rate, AchievedRate: rate, SendWindow: window, Behind: behind,
		Budget: c.Budget, Requests: res.Requests, Events: res.Events, Problems: problems,
		Service: service, MaxFailed: c.MaxFailed, MaxP99: c.MaxP99,
	})
	return res
}

// inSession runs drill in a new session (newSession) and ends the session's watchers when it
// returns: how each drill begins and ends.
func inSession(ctx context.Context, c config.Config, stderr io.Writer, drill func(context.Context, *session) (Result, error)) (Result, error) {
	s, err := newSession(ctx, c, stderr)
	if err != nil {
		return Result{}, err
	}
	defer s.stopWatching()
	return drill(ctx, s)
}
