package gracefiber_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// serviceEnv makes the test binary, re-run by gracedrill, serve as a Fiber service (service_test.go).
const serviceEnv = "GRACEFIBER_TEST_SERVICE"

// fasthttp keeps two goroutines of its own past a server's end: see gracefasthttp's TestMain.
func TestMain(m *testing.M) {
	if os.Getenv(serviceEnv) != "" {
		os.Exit(serviceMain(os.Args[1:]))
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}
