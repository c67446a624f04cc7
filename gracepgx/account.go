package gracepgx

import "github.com/gracekit/grace"

// Account reports, in unit "connections", what the pool lost at its stop (it is a
// grace.Accounter: the app's report shows it and a loss makes the exit code grace.ExitLost).
// Each connection still acquired at the hard deadline, and so forced closed, counts as one lost
// connection: what its holder was doing is lost — the open transaction is rolled back by
// PostgreSQL, the query in flight is cancelled, a statement never answered may or may not have
// run. Asked while the stop still waits for acquired connections (the app abandoned it), Account
// counts the connections acquired at that moment. Connections released before the hard deadline
// are not lost. Before Stop, Account returns zero; HandedBack is always zero. Safe for
// concurrent use.
func (p *Pool) Account() grace.Account {
	acc := grace.Account{Unit: "connections"}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.stopped:
	case p.forced:
		acc.Lost = int64(p.stats.Forced)
	case !p.stats.Closed:
		acc.Lost = int64(p.pool.Stat().AcquiredConns())
	}
	return acc
}
