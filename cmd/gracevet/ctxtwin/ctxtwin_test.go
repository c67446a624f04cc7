package ctxtwin_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/ctxtwin"
)

func TestCtxTwin(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), ctxtwin.Analyzer, "a", "cross/api", "fw", "nodrain", "drain", "lite", "closer")
}
