package tickerstop_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/tickerstop"
)

func TestTickerStop(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), tickerstop.Analyzer, "a", "modern")
}
