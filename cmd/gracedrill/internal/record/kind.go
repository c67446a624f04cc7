// Package record holds what a drill observes: one Request per request sent, and the Events
// (signal, not ready, listener closed, exit, ...) that mark the phases of a shutdown.
package record

// Kind classifies how a request ended.
type Kind uint8

// The kinds of outcome. Everything except OK is a failure.
const (
	OK        Kind = iota // a response with a status below 400 was read completely
	Refused               // the connection was refused: nothing listened on the port
	Reset                 // the peer reset the connection
	EOF                   // the connection was closed before a complete response arrived
	Timeout               // no complete response within the request timeout
	Status5xx             // the server (or the load balancer) answered with 5xx
	Other                 // anything else, including 4xx answers
)

// FailureKinds returns every failure kind in report order.
func FailureKinds() []Kind { return []Kind{Refused, Reset, EOF, Timeout, Status5xx, Other} }

// String returns the name used in summaries and reports: "ok", "refused", "reset", "eof",
// "timeout", "5xx" or "other".
func (k Kind) String() string {
	switch k {
	case OK:
		return "ok"
	case Refused:
		return "refused"
	case Reset:
		return "reset"
	case EOF:
		return "eof"
	case Timeout:
		return "timeout"
	case Status5xx:
		return "5xx"
	default:
		return "other"
	}
}
