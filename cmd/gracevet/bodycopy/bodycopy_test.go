package bodycopy_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/bodycopy"
)

func TestBodyCopy(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), bodycopy.Analyzer, "a", "nodrain", "drain", "testutil", "cross/api", "fw", "test/scenario")
}
