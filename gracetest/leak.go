package gracetest

import (
	"testing"

	"github.com/gracekit/grace/internal/leakcheck"
)

// CheckLeaks fails t if goroutines other than the runtime's and the testing package's are still
// running after a few seconds' grace. Call it at the end of a test (or with defer), or use
// [Main] for a whole package.
func CheckLeaks(t testing.TB) {
	t.Helper()
	leakcheck.Check(t)
}

// Main runs a package's tests and then fails the binary if goroutines leaked:
//
//	func TestMain(m *testing.M) { gracetest.Main(m) }
func Main(m *testing.M) { leakcheck.Main(m) }
