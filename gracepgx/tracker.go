package gracepgx

import (
	"sync"

	"github.com/jackc/pgx/v5"
)

// tracker knows every open connection of the pool, through the pool's AfterConnect and
// BeforeClose hooks, so the hard stop can reach the ones still acquired.
type tracker struct {
	mu    sync.Mutex
	conns map[*pgx.Conn]struct{}
}

func (t *tracker) add(c *pgx.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[*pgx.Conn]struct{}{}
	}
	t.conns[c] = struct{}{}
}

func (t *tracker) remove(c *pgx.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
}

// force closes the socket of every open connection at once, without waiting for the network,
// and returns how many it closed. The holder's call fails at once; for a query in flight pgx
// then sends a cancel request, so the server stops running it; and PostgreSQL, seeing the client
// gone, rolls back the open transaction.
func (t *tracker) force() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.conns)
	for c := range t.conns {
		_ = c.PgConn().Conn().Close()
		delete(t.conns, c) // forced once: a second stop does not count it again
	}
	return n
}
