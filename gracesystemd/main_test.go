package gracesystemd_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The socket-activation tests run this binary again as the activated service.
	testkit.RunChild(childEnv, func() int { return runChild(os.Getenv(childEnv)) })
	code := m.Run()
	if err := box.Stop(); err != nil { // the real-systemd tests' container, if they booted it
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
