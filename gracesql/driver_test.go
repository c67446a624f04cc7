package gracesql_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"sync/atomic"
)

// testConnector is a minimal in-memory database/sql driver for the unit tests of gracesql's own
// behaviour (the root module may not import a real driver; the tests against PostgreSQL are in
// the gracepgx module). Its connections answer pings and nothing else.
type testConnector struct {
	pingErr error         // returned by every ping
	hold    chan struct{} // if set, the connector's Close blocks until it is closed
	open    atomic.Int32  // connections open
}

func (c *testConnector) Connect(context.Context) (driver.Conn, error) {
	c.open.Add(1)
	return &testConn{c: c}, nil
}

func (c *testConnector) Driver() driver.Driver { return testDriver{} }

// Close is called by sql.DB.Close after the idle connections are closed.
func (c *testConnector) Close() error {
	if c.hold != nil {
		<-c.hold
	}
	return nil
}

type testDriver struct{}

func (testDriver) Open(string) (driver.Conn, error) { return nil, errors.New("use the connector") }

type testConn struct{ c *testConnector }

var (
	_ driver.Pinger = (*testConn)(nil)
	_ io.Closer     = (*testConnector)(nil)
)

func (tc *testConn) Ping(context.Context) error { return tc.c.pingErr }
func (tc *testConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("test driver runs no statements")
}
func (tc *testConn) Begin() (driver.Tx, error) {
	return nil, errors.New("test driver has no transactions")
}
func (tc *testConn) Close() error {
	tc.c.open.Add(-1)
	return nil
}
