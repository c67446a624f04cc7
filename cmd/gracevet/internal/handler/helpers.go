package handler

import (
	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

// Helpers returns the package's declared functions that are not handlers: the helpers handlers
// call, whose facts bodycopy and ctxtwin export. They come in funcs.Declared's order. A package
// of the standard library has none: gracevet's facts describe application helpers.
func Helpers(pass *analysis.Pass) []funcs.Decl {
	if funcs.Std(pass) {
		return nil
	}
	var hs []funcs.Decl
	for _, d := range funcs.Declared(pass) {
		if _, _, isHandler := Shape(pass.TypesInfo, d.Decl.Recv, d.Decl.Type); !isHandler {
			hs = append(hs, d)
		}
	}
	return hs
}
