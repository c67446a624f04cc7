package gracehttp

import "github.com/gracekit/grace"

// Account reports, in unit "requests", what the server lost at its stop (it is a
// grace.Accounter: the app's report shows it and a loss makes the exit code grace.ExitLost):
//
//   - every request still running when Stop cancelled the request contexts at the hard stop
//     (the cut point, see [Server.Stop]) counts as one lost request, whatever its handler
//     answers after the cancellation: the client may have seen an error, or nothing;
//   - a request running when Account is called during or after the stop — its handler ignored
//     the cancellation, or the app abandoned the stop — counts as lost too;
//   - a hijacked connection (a WebSocket, say) whose handler had returned before the hard stop
//     and which Stop had to close at the deadline counts as one lost request: it is the request
//     that was hijacked, cut. A hijacked connection whose handler is still running is counted
//     once, as that running request; one that closes before the deadline (after the
//     [WithGoAway] hook, say) is not lost.
//
// Requests that finish before the hard stop, requests answered 503 in retry-after mode, and
// exempt requests are never counted. Before Stop, Account returns zero. HandedBack is always
// zero: HTTP has no redelivery. Account is safe for concurrent use, including while Stop runs.
func (s *Server) Account() grace.Account {
	acc := grace.Account{Unit: "requests"}
	if !s.stopping.Load() {
		return acc
	}
	acc.Lost = s.cutEnded.Load() + s.flight.active.Load() + s.cutConns.Load()
	select {
	case <-s.done:
	default: // the stop still runs: hijacked connections it has not closed yet are in hand
		s.mu.Lock()
		if !s.forced {
			acc.Lost += s.openDetachedLocked()
		}
		s.mu.Unlock()
	}
	return acc
}
