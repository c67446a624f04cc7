package exitafter_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/exitafter"
)

func TestExitAfter(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), exitafter.Analyzer, "exitmain", "exitlib", "exitgen", "tool/cli")
}
