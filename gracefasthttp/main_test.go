package gracefasthttp_test

import (
	"testing"

	"go.uber.org/goleak"
)

// fasthttp keeps two goroutines of its own past a server's end: the clock that dates responses
// (one per process, never stopped) and its worker pool's cleaner, which notices the stop only
// after its sleep (Server.MaxIdleWorkerDuration, 10 s by default). Both are documented in the
// package doc; neither holds a connection.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}
