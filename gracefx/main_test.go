package gracefx_test

import (
	"testing"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"github.com/gracekit/grace/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	testkit.RunChild(childEnv, childMain)
	goleak.VerifyTestMain(m)
}

// TestContracts: the Component is what its doc comment says, a Starter, Stopper and Validator.
func TestContracts(t *testing.T) {
	testkit.Implements(t, &gracefx.Component{}, (*grace.Starter)(nil), (*grace.Stopper)(nil), (*grace.Validator)(nil))
}
