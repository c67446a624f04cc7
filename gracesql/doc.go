// Package gracesql runs a database/sql pool as a grace component.
//
// A [DB] pings the database when the app starts, so an unreachable database or a refused login
// fails the start with a clear error, and closes the pool at its turn to stop: after every
// component that depends on it has stopped. Add it before the components that use it (or name it
// in their [grace.DependsOn]) and the dependency order does the rest.
//
// database/sql's Close does not interrupt connections that are in use: a transaction or an
// unclosed Rows keeps its connection until it is released. So a connection still in use when
// the pool closes means that something outlived the components that use the pool — a dependent
// abandoned at its limit, or leaked rows. Stop reports it as a *grace.InUseError (matching
// grace.ErrInUse), which the app's report shows as the component's stop error, and [DB.Account]
// counts every connection still in use when the report is built as lost — the process exit
// that follows cuts it, and the server rolls its transaction back — so the app's exit code is
// grace.ExitLost.
//
// gracesql uses the standard library only; the tests of its behaviour against a real PostgreSQL
// server live in the gracepgx module, which has a driver.
package gracesql
