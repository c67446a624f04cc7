package servererr_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/servererr"
)

func TestServerErr(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), servererr.Analyzer, "a")
}
