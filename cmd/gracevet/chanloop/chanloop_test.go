package chanloop_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gracekit/grace/cmd/gracevet/chanloop"
)

func TestChanLoop(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), chanloop.Analyzer, "a", "user", "loopmain")
}
