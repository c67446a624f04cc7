// Package suite lists gracevet's analyzers, for the command and the golangci-lint plugin.
package suite

import (
	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/bodycopy"
	"github.com/gracekit/grace/cmd/gracevet/chanloop"
	"github.com/gracekit/grace/cmd/gracevet/ctxtwin"
	"github.com/gracekit/grace/cmd/gracevet/exitafter"
	"github.com/gracekit/grace/cmd/gracevet/servererr"
	"github.com/gracekit/grace/cmd/gracevet/signalstop"
	"github.com/gracekit/grace/cmd/gracevet/tickerstop"
)

// Analyzers returns every gracevet analyzer, in the order the documentation lists them.
func Analyzers() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		ctxtwin.Analyzer,
		bodycopy.Analyzer,
		chanloop.Analyzer,
		exitafter.Analyzer,
		servererr.Analyzer,
		tickerstop.Analyzer,
		signalstop.Analyzer,
	}
}
