package signalstop_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/signalstop"
)

func TestSignalStop(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), signalstop.Analyzer, "a", "sigmain")
}
