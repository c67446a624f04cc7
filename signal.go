package grace

import (
	"os"
	"os/signal"

	"github.com/gracekit/grace/internal/chans"
)

// SignalSource delivers process signals; its methods have os/signal's Notify and Stop contracts.
// The default is os/signal. gracetest.Signals is a fake for tests.
type SignalSource interface {
	Notify(c chan<- os.Signal, sig ...os.Signal)
	Stop(c chan<- os.Signal)
}

type osSignals struct{}

func (osSignals) Notify(c chan<- os.Signal, sig ...os.Signal) { signal.Notify(c, sig...) }
func (osSignals) Stop(c chan<- os.Signal)                     { signal.Stop(c) }

// watchSignals turns signals into the escalation ladder until quit is closed: the first triggers
// a graceful stop, the second skips what is left of the drain delay and shortens the budget, the
// third forces Run to return at once.
func (a *App) watchSignals(sigs <-chan os.Signal, quit <-chan struct{}) {
	for {
		select {
		case s := <-sigs:
			switch {
			case a.trigger(Trigger{Kind: TriggerSignal, Signal: s.String()}):
				a.log().Warn("grace: signal received, draining", "signal", s.String())
			case !chans.Closed(a.escCh):
				a.log().Warn("grace: second signal, skipping delays and shortening the budget", "signal", s.String())
				a.escalate()
			default:
				a.log().Error("grace: third signal, forcing exit", "signal", s.String())
				a.force()
			}
		case <-quit:
			return
		}
	}
}
