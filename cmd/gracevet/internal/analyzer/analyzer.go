// Package analyzer holds what every gracevet analyzer shares: how one is declared (its name,
// documentation, README anchor, the pass it reads and its facts), the control-flow result it
// reads, and how its diagnostics and facts name a place in the source.
package analyzer

import (
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"
)

// readme is where each analyzer is documented, under an anchor of its name.
const readme = "https://github.com/gracekit/grace/tree/main/cmd/gracevet"

// Needs says what an analyzer's run reads besides the syntax and type information.
type Needs int

const (
	// TypesOnly is for a run that reads the syntax and type information only.
	TypesOnly Needs = iota
	// ControlFlow is for a run that reads ctrlflow's result (see CFGs): which functions never
	// return, and each function's control-flow graph.
	ControlFlow
)

// New returns the analyzer called name, documented by doc and by its section of gracevet's
// README (its URL), that runs run, requires ctrlflow when needs is ControlFlow, and exports and
// imports facts of the types given.
func New(name, doc string, needs Needs, run func(*analysis.Pass) (any, error), facts ...analysis.Fact) *analysis.Analyzer {
	a := &analysis.Analyzer{Name: name, Doc: doc, URL: readme + "#" + name, Run: run, FactTypes: facts}
	if needs == ControlFlow {
		a.Requires = []*analysis.Analyzer{ctrlflow.Analyzer}
	}
	return a
}

// CFGs returns ctrlflow's result for the pass of an analyzer declared with ControlFlow.
func CFGs(pass *analysis.Pass) *ctrlflow.CFGs {
	return pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs)
}
