package gracefx_test

import (
	"testing"

	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	testkit.RunChild(childEnv, childMain)
	goleak.VerifyTestMain(m)
}
