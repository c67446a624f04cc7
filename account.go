package grace

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Account is a component's count, at its stop, of the units of work it accepted and did not
// finish. A unit is whatever the component takes in: a request, an RPC, a message, a record, a
// value of a channel, a connection in use.
//
// Lost units were accepted and will not be done by anyone: a request cut at the hard deadline, a
// value left in a queue nobody will read, a publish the broker never acknowledged. HandedBack
// units were returned for redelivery (a nack with requeue, an offset not committed, a message
// whose ack deadline the broker will expire): they are not lost, because something will deliver
// them again, but they will be handled again — by this service's successor or another instance.
type Account struct {
	Unit       string `json:"unit,omitempty"`        // what is counted, plural: "requests", "values"
	Lost       int64  `json:"lost,omitempty"`        // accepted, not finished, not coming back
	HandedBack int64  `json:"handed_back,omitempty"` // returned to be delivered again
}

// IsZero reports whether nothing was lost or handed back.
func (a Account) IsZero() bool { return a.Lost == 0 && a.HandedBack == 0 }

// String renders the account for people: "3 requests lost, 2 handed back", or "" when zero.
func (a Account) String() string {
	if a.IsZero() {
		return ""
	}
	unit := a.Unit
	if unit == "" {
		unit = "units"
	}
	switch {
	case a.HandedBack == 0:
		return fmt.Sprintf("%d %s lost", a.Lost, unit)
	case a.Lost == 0:
		return fmt.Sprintf("%d %s handed back", a.HandedBack, unit)
	}
	return fmt.Sprintf("%d %s lost, %d handed back", a.Lost, unit, a.HandedBack)
}

// Accounter is a component that keeps an [Account] of its stop. The engine calls Account after
// the component's stop returned — for the [EventStopped] event — and again when it builds the
// report, where the figures are final. It also calls Account for a component it abandoned, whose
// stop may still be running: Account must be safe for concurrent use and return the figures so
// far, counting work still in hand at that moment as lost.
//
// A report whose components lost anything has exit code [ExitLost] (unless a worse code
// applies), its Err matches [ErrLost], and its text, JSON and slog forms show the counts per
// component and in total. Handed-back units alone leave a clean stop clean.
type Accounter interface {
	Account() Account
}

// ErrLost is matched by the error of a run in which a component lost accepted work; see
// [LossError].
var ErrLost = errors.New("accepted work lost")

// LossError says that a component lost accepted work at its stop. It matches [ErrLost]. Run's
// error holds one per component that lost anything, each inside a [ComponentError] whose Op is
// "stop".
type LossError struct {
	Account
}

func (e *LossError) Error() string {
	unit := e.Unit
	if unit == "" {
		unit = "units"
	}
	return fmt.Sprintf("lost %d %s of accepted work", e.Lost, unit)
}

// Is reports whether target is [ErrLost].
func (e *LossError) Is(target error) bool { return target == ErrLost }

// account reads n's Account, if it keeps one. A panic in Account is returned as a [PanicError]:
// the figures are then unknown, which the report must say rather than show zero.
func (n *node) account() (acc Account, err error) {
	a, ok := n.c.(Accounter)
	if !ok {
		return Account{}, nil
	}
	defer func() {
		if v := recover(); v != nil {
			acc, err = Account{}, &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return a.Account(), nil
}

// accountWait bounds how long the engine waits for the Account of a component it abandoned.
const accountWait = 200 * time.Millisecond

// accountOf reads n's Account. For a component the engine abandoned, whose stop may still run
// and hold what Account needs (a lock, say), it waits at most accountWait and then reports the
// figures unknown — an error, never zeros — rather than let a blocked Account hang the run.
func (r *run) accountOf(n *node, abandoned bool) (Account, error) {
	if !abandoned {
		return n.account()
	}
	type result struct {
		acc Account
		err error
	}
	ch := make(chan result, 1)
	r.spawn(func() {
		acc, err := n.account()
		ch <- result{acc, err}
	})
	t := time.NewTimer(accountWait)
	defer t.Stop()
	select {
	case res := <-ch:
		return res.acc, res.err
	case <-t.C:
		return Account{}, fmt.Errorf("%w: Account did not return within %v of being called on the abandoned component (its stop may still hold what Account needs): what it lost is unknown",
			ErrTimeout, accountWait)
	}
}
