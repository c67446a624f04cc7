package gracegrpc

import "github.com/gracekit/grace"

// Account reports, in unit "rpcs", what the server lost at its stop (it is a grace.Accounter:
// the app's report shows it and a loss makes the exit code grace.ExitLost). Every RPC still
// running at the cut — when the graceful stop was given up and grpc's Stop cancelled its
// context — counts as one lost RPC, whatever its handler does after that: its client got
// UNAVAILABLE, or its stream ended early. An RPC running when Account is called during the stop
// (the app abandoned it) counts as lost too. RPCs that finish during the graceful stop are not
// lost, nor are health service calls (Check, Watch). Before Stop, Account returns zero; HandedBack
// is always zero. Account is safe for concurrent use, including while Stop runs.
func (s *Server) Account() grace.Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := grace.Account{Unit: "rpcs"}
	if !s.stopping {
		return acc
	}
	acc.Lost = s.cutEnded
	for c := range s.calls {
		if c.work {
			acc.Lost++
		}
	}
	return acc
}
