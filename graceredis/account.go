package graceredis

import "github.com/gracekit/grace"

// Account reports, in unit "connections", what the client lost at its stop (it is a
// grace.Accounter: the app's report shows it and a loss makes the exit code grace.ExitLost).
// Each connection still in use when Stop closed the client counts as one lost connection: the
// command, pipeline or MULTI/EXEC transaction on it failed on the client's side, and whether
// Redis ran it is unknown — a blocking command (BLPOP) may even have taken a value no one will
// receive. Asked while the stop still waits for connections to go back to the pool (the app
// abandoned it), Account counts the connections in use at that moment. Connections back in the
// pool before the hard deadline are not lost, and subscriptions are not counted. Before Stop,
// Account returns zero; HandedBack is always zero. Safe for concurrent use.
func (c *Client) Account() grace.Account {
	acc := grace.Account{Unit: "connections"}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.stopped || c.c == nil:
	case c.closing:
		acc.Lost = int64(c.stats.InUseAtClose)
	default:
		acc.Lost = int64(inUse(c.c))
	}
	return acc
}
