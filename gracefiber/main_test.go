package gracefiber_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// fasthttp keeps two goroutines of its own past a server's end: see gracefasthttp's TestMain.
func TestMain(m *testing.M) {
	if os.Getenv(serviceEnv) != "" {
		os.Exit(serviceMain(os.Args[1:]))
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"))
}
