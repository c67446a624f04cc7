package gracesystemd

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceupgrade"
	"github.com/gracekit/grace/internal/option"
)

// The STATUS= texts, one per stretch of the app's life. The draining text covers both
// [grace.PhaseDraining] and [grace.PhaseDelayOver]; in an app, where the Notifier observes the
// app's events ([Notifier.Observe]), it also names what started the stop: "draining (signal terminated): not ready, still serving".
const (
	StatusStarting = "starting"
	StatusReady    = "ready"
	StatusDraining = "draining: not ready, still serving"
	StatusStopping = "stopping components"
	StatusStopped  = "stopped"
)

// Notifier tells systemd what a [grace.App] is doing. It is a [grace.Runner] and a
// [grace.Observer]: add it to the app it watches with [grace.StopsLast], so that it starts
// before every other component and stops after them all (see the package documentation), and
// the app gives it every event of the run. Its Run can also be called on its own; it then
// returns when the app has stopped or ctx ends, and the statuses are the plain ones.
//
// What it sends, each message one datagram to $NOTIFY_SOCKET, in this order:
//
//   - "STATUS=starting" when Run begins, if the app is still starting.
//   - "READY=1\nSTATUS=ready" once the app is ready ([grace.PhaseReady]), that is after every
//     component started — listeners bound, pools open.
//   - "STOPPING=1\nSTATUS=draining: not ready, still serving" when the stop begins
//     ([grace.PhaseDraining]), before anything stops; in an app, the status names the trigger: "draining (signal terminated): not ready, still serving". After
//     a failed start, which skips the drain, STOPPING=1 comes with the stopping status instead.
//   - "STATUS=stopping components" once components stop ([grace.PhaseStopping]); in an app, the
//     status names the components still to stop and is sent again each time one of them stops.
//   - "STATUS=stopped" when Run returns.
//   - "WATCHDOG=1" every half of WATCHDOG_USEC, from Run's start to its end, if WATCHDOG_USEC is
//     set and WATCHDOG_PID is unset or this process's pid (systemd sets both with WatchdogSec=).
//   - "EXTEND_TIMEOUT_USEC=<extend timeout in µs>" if the stop is still going on half an extend
//     timeout before the unit's TimeoutStopSec ([WithTimeoutStopSec]) runs out, then every half
//     extend timeout until Run returns.
//
// A process that stops because it handed the service over to its successor (graceupgrade: a
// stop whose reason begins with graceupgrade.StopReason) sends nothing from then on — no
// STOPPING=1, no status, no watchdog ping: the successor is the unit's main process and speaks
// for the service. Its Run then ends with a notify barrier ("BARRIER=1" with a pipe, waiting at
// most 5 s for systemd to close it): the process cannot exit before systemd has taken in the
// new MAINPID=, which would make it stop the service, successor included. The Notifier learns the
// reason from the app's events ([Notifier.Observe]), so it must be added to the app.
//
// A phase the Notifier did not see (the app moved on before it looked) gets no STATUS of its
// own. STOPPING=1 is never skipped; READY=1 is sent whenever the Notifier sees the app ready or
// draining, and skipped only when the app was already stopping components the first time it
// looked (then it was ready for an instant at most, or never). With NOTIFY_SOCKET
// unset nothing is sent. Failures to send are logged and do not stop the app; Run returns them,
// so the grace report names them.
type Notifier struct {
	app  *grace.App
	cfg  config
	wake chan struct{} // poked by Observe; capacity 1

	mu        sync.Mutex
	following bool           // Observe has seen an event: the Notifier follows the app's phases through them
	phase     grace.Phase    // the latest phase Observe has seen
	trigger   *grace.Trigger // what started the stop, from Observe's events
	observed  bool           // Observe has seen a component start
	up        []string       // components started and not yet stopped, in start order
}

// New returns a Notifier for app. Problems with opts, a nil app and malformed watchdog settings
// in the environment are returned by [Notifier.Validate], which the app calls before anything
// starts, and by Run.
func New(app *grace.App, opts ...Option) *Notifier {
	cfg := config{timeoutStopSec: DefaultTimeoutStopSec, extendTimeout: DefaultExtendTimeout}
	option.Apply(&cfg, opts)
	return &Notifier{app: app, cfg: cfg, wake: make(chan struct{}, 1)}
}

// Validate returns a *grace.ConfigError naming every problem with the Notifier's
// configuration: bad options, a nil app, a malformed WATCHDOG_USEC or WATCHDOG_PID. It sends
// nothing and has no effect.
func (n *Notifier) Validate() error {
	watchdog := ""
	if _, err := daemon.SdWatchdogEnabled(false); err != nil {
		watchdog = "watchdog settings: " + err.Error()
	}
	return n.cfg.Err(option.Check(n.app == nil, "app must not be nil"), watchdog)
}

// Observe follows the app's events, so that the draining status names what started the stop
// ("draining (signal terminated): ...") and the stopping status names what is still to stop:
// "stopping components, waiting for 2: db, systemd" (most recently started first, which is
// about the order they stop in), updated as each component stops or is abandoned. Once it has
// seen an event the Notifier follows the app's phases through the events, so the trigger is
// known when the draining status is sent. The app calls it on the Notifier added to it, as it
// does on every [grace.Observer]: do not also give it to grace.WithObserver. A Notifier run
// outside an app, without its events, sends the plain statuses. It is quick and safe for
// concurrent use, as an observer must be.
func (n *Notifier) Observe(e grace.Event) {
	if n == nil {
		return
	}
	n.mu.Lock()
	n.following = true
	if e.Trigger != nil && n.trigger == nil {
		t := *e.Trigger
		n.trigger = &t
	}
	switch e.Kind {
	case grace.EventPhase:
		n.phase = max(n.phase, e.Phase)
	case grace.EventStarted:
		if e.Err == nil {
			n.observed = true
			n.up = append(n.up, e.Component)
		}
	case grace.EventStopped, grace.EventAbandoned:
		if i := slices.Index(n.up, e.Component); i >= 0 {
			n.up = slices.Delete(n.up, i, i+1)
		}
	default:
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// currentPhase is the app's phase as the Notifier follows it: from Observe's events once they
// come, else from the app.
func (n *Notifier) currentPhase() grace.Phase {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.following {
		return n.phase
	}
	return n.app.Phase()
}

// announce returns the channel that is closed when the app moves past phase last, or nil when
// the Notifier follows Observe's events, which poke wake instead.
func (n *Notifier) announce(last grace.Phase) <-chan struct{} {
	n.mu.Lock()
	following := n.following
	n.mu.Unlock()
	if following {
		return nil
	}
	return n.app.Await(last + 1)
}

// drainingStatus is the status while the app drains.
func (n *Notifier) drainingStatus() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.trigger == nil {
		return StatusDraining
	}
	return strings.Replace(StatusDraining, "draining", "draining ("+n.trigger.String()+")", 1)
}

// handedOver reports whether the app stops because it handed the service over to a successor
// (graceupgrade stops it with a reason beginning with graceupgrade.StopReason): the successor is
// the unit's main process then, and nothing this process says is the service's any more.
func (n *Notifier) handedOver() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.trigger != nil && n.trigger.Kind == grace.TriggerStop && strings.HasPrefix(n.trigger.Reason, graceupgrade.StopReason)
}

// stoppingStatus is the status while components stop.
func (n *Notifier) stoppingStatus() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.observed {
		return StatusStopping
	}
	left := slices.Clone(n.up)
	slices.Reverse(left)
	return fmt.Sprintf("%s, waiting for %d: %s", StatusStopping, len(left), strings.Join(left, ", "))
}

// Run sends the notifications until ctx ends (the Notifier's turn to stop, in an app) or the
// app reaches [grace.PhaseStopped]. It returns [Notifier.Validate]'s error at once, for a
// Notifier run outside an app; otherwise, when it returns, the failures to send if any (how
// many, and the first).
func (n *Notifier) Run(ctx context.Context) error {
	if err := n.Validate(); err != nil {
		return err
	}
	cfg := n.cfg
	watchdog, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return fmt.Errorf("watchdog settings: %w", err)
	}
	s := &sender{logger: cfg.Logger()}

	var watchdogC <-chan time.Time
	if watchdog > 0 {
		t := time.NewTicker(watchdog / 2)
		defer t.Stop()
		watchdogC = t.C
	}
	extend := time.NewTimer(time.Hour)
	extend.Stop()
	defer extend.Stop()
	var extendC <-chan time.Time
	extendMsg := "EXTEND_TIMEOUT_USEC=" + strconv.FormatInt(cfg.extendTimeout.Microseconds(), 10)

	o := observer{n: n, s: s, onStop: func() {
		// systemd's stop timer started about now: extend before it runs out.
		extend.Reset(max(cfg.timeoutStopSec-cfg.extendTimeout/2, 0))
		extendC = extend.C
	}}
	for o.observe() < grace.PhaseStopped {
		select {
		case <-ctx.Done():
			o.observe() // a phase change that raced the cancellation is still reported first
			s.send("STATUS=" + StatusStopped)
			n.handOver(s)
			return s.err()
		case <-n.announce(o.last):
		case <-n.wake:
		case <-watchdogC:
			s.send(daemon.SdNotifyWatchdog)
		case <-extendC:
			s.send(extendMsg)
			extend.Reset(cfg.extendTimeout / 2)
		}
	}
	s.send("STATUS=" + StatusStopped)
	n.handOver(s)
	return s.err()
}

// barrierTimeout bounds the wait for the service manager to confirm a barrier.
const barrierTimeout = 5 * time.Second

// handOver ends the Run of a process that handed the service over: it waits until the service
// manager has processed everything sent before (graceupgrade's MAINPID= naming the successor
// among it) — a notify barrier — so that the process does not exit first: systemd, seeing its
// main process gone before the new MAINPID=, would stop the service and its successor.
func (n *Notifier) handOver(s *sender) {
	if !s.muted {
		return
	}
	if err := barrier(barrierTimeout); err != nil {
		n.cfg.Logger().Warn("gracesystemd: handing over to the successor", "error", err)
	}
}

// observer turns the app's phase changes into messages.
type observer struct {
	n      *Notifier
	s      *sender
	onStop func()
	last   grace.Phase
	status string
}

// observe sends what the move from the last phase seen to the current one calls for, and
// returns the current phase.
func (o *observer) observe() grace.Phase {
	cur := o.n.currentPhase()
	if cur < o.last {
		cur = o.last
	}
	if o.n.handedOver() {
		o.s.muted = true // this process is no longer the service: its successor speaks for it
	}
	var lines []string
	if o.last < grace.PhaseReady && cur >= grace.PhaseReady && cur < grace.PhaseStopping {
		lines = append(lines, daemon.SdNotifyReady)
	}
	if o.last < grace.PhaseDraining && cur >= grace.PhaseDraining {
		lines = append(lines, daemon.SdNotifyStopping)
		o.onStop()
	}
	st := statusOf(cur)
	switch cur {
	case grace.PhaseDraining, grace.PhaseDelayOver:
		st = o.n.drainingStatus()
	case grace.PhaseStopping:
		st = o.n.stoppingStatus()
	}
	if st != o.status && cur < grace.PhaseStopped {
		o.status = st
		lines = append(lines, "STATUS="+st)
	}
	if len(lines) > 0 {
		o.s.send(strings.Join(lines, "\n"))
	}
	o.last = cur
	return cur
}

func statusOf(p grace.Phase) string {
	switch p {
	case grace.PhaseIdle, grace.PhaseStarting:
		return StatusStarting
	case grace.PhaseReady:
		return StatusReady
	case grace.PhaseDraining, grace.PhaseDelayOver:
		return StatusDraining
	case grace.PhaseStopping:
		return StatusStopping
	}
	return StatusStopped
}

// sender sends notifications and keeps count of the failures. Once muted it sends nothing.
type sender struct {
	logger *slog.Logger
	muted  bool
	sent   int
	failed int
	first  error
}

func (s *sender) send(state string) {
	if s.muted {
		return
	}
	s.sent++
	if _, err := daemon.SdNotify(false, state); err != nil {
		s.failed++
		if s.first == nil {
			s.first = fmt.Errorf("send %q: %w", state, err)
			s.logger.Error("gracesystemd: cannot notify systemd", "state", state, "error", err)
		}
	}
}

func (s *sender) err() error {
	if s.failed == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d notifications failed, first: %w", s.failed, s.sent, s.first)
}
