package graceupgrade

import (
	"fmt"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind int

// The kinds of event, in the order an upgrade emits them.
const (
	EventBegin  EventKind = iota + 1 // a successor was started (PID set)
	EventReady                       // the successor is ready (in sequential mode: took the sockets); the parent stops next
	EventFailed                      // the attempt failed (Err is an *UpgradeError); the parent keeps serving
)

func (k EventKind) String() string {
	switch k {
	case EventBegin:
		return "begin"
	case EventReady:
		return "ready"
	case EventFailed:
		return "failed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one step of an upgrade attempt, as delivered to [WithObserver]'s function.
type Event struct {
	Kind    EventKind
	At      time.Time
	Attempt int // 1 for the process's first attempt
	PID     int // the successor's
	Err     error
}
