package record

import "time"

// EventName names a phase marker.
type EventName string

// Phase markers. Instance tells which service instance an event belongs to.
const (
	Ready          EventName = "ready"            // the instance answered its readiness URL with 200
	Signal         EventName = "signal"           // the drill sent the stop signal
	NotReady       EventName = "not ready"        // the readiness URL stopped answering 200 (fast watcher)
	LBNotReady     EventName = "lb not ready"     // the load balancer (drill or HAProxy) took it out
	ListenerClosed EventName = "listener closed"  // a TCP connect to the port was refused
	Exit           EventName = "exit"             // the process exited
	Killed         EventName = "killed"           // the drill killed the process after its budget
	LBAdded        EventName = "lb added"         // the instance was added to the load balancer
	LoadStopped    EventName = "load stopped"     // the drill stopped sending new requests
	Trigger        EventName = "trigger"          // the drill ran the trigger command (Detail: the command)
	TriggerDone    EventName = "trigger returned" // the trigger command returned (Code: its exit code, -1 killed)
	BackReady      EventName = "ready again"      // the readiness URL answered 200 again after "not ready"
)

// TriggerKilled is the Detail of a TriggerDone event when the drill killed the trigger command
// because it did not return within the budget.
const TriggerKilled = "killed after the budget"

// UnknownExitCode is the Detail of an Exit event of a process the drill did not start: it saw
// the process go away but cannot know its exit code.
const UnknownExitCode = "exit code unknown (not the drill's child)"

// Event is a phase marker at an offset from the start of the drill.
type Event struct {
	Name     EventName
	At       time.Duration
	Instance int    // 0 in run mode; the instance number in rollout mode
	Detail   string // e.g. "exit status 1" or why the load balancer took it out
	Code     int    // Exit events: the exit code, -1 when a signal ended the process
}
