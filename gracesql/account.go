package gracesql

import "github.com/gracekit/grace"

// Account reports, in unit "connections", what the pool loses at its stop (it is a
// grace.Accounter: the app's report shows it and a loss makes the exit code grace.ExitLost).
//
// database/sql's Close does not cut a connection in use: its holder may still commit after the
// pool closed. So a connection counts as lost only while it is still in use when Account is
// called — after Stop, and again when the app builds its report, right before the process
// exits and cuts it: the open transaction is then rolled back by the server, the statement in
// flight is abandoned. A connection released before that (its transaction committed or rolled
// back by its holder) is not lost. Before Stop, Account returns zero; HandedBack is always zero.
// Safe for concurrent use.
func (d *DB) Account() grace.Account {
	acc := grace.Account{Unit: "connections"}
	d.mu.Lock()
	closing := d.atClose != nil
	d.mu.Unlock()
	if closing {
		acc.Lost = int64(d.db.Stats().InUse)
	}
	return acc
}
