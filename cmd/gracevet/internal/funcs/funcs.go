// Package funcs visits every function body of a package, declared or literal, with the
// control-flow graph and the ancestors of each node, for analyzers that reason per function; it
// lists the declared functions and their parameters, and tells what kind of package holds them
// (the standard library, command code).
package funcs

import (
	"go/ast"
	"go/build"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
)

// Func is one function body.
type Func struct {
	Decl *ast.FuncDecl // nil for a literal
	Lit  *ast.FuncLit  // nil for a declaration
	Body *ast.BlockStmt
	CFG  *cfg.CFG
}

// All returns every function in the package that has a body, declarations first within each file.
func All(pass *analysis.Pass) []Func {
	cfgs := analyzer.CFGs(pass)
	var fs []Func
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Body != nil {
					if g := cfgs.FuncDecl(n); g != nil {
						fs = append(fs, Func{Decl: n, Body: n.Body, CFG: g})
					}
				}
			case *ast.FuncLit:
				if g := cfgs.FuncLit(n); g != nil {
					fs = append(fs, Func{Lit: n, Body: n.Body, CFG: g})
				}
			}
			return true
		})
	}
	return fs
}

// Walk visits the nodes of body, not entering nested function literals, passing each node's
// ancestors within body (outermost first; the slice is reused between calls).
func Walk(body *ast.BlockStmt, f func(n ast.Node, parents []ast.Node)) {
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if _, ok := n.(*ast.FuncLit); ok && len(stack) > 0 {
			return false
		}
		f(n, stack)
		stack = append(stack, n)
		return true
	})
}

// Mentions reports whether n (including function literals inside it) satisfies pred anywhere.
func Mentions(n ast.Node, pred func(ast.Node) bool) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if found || m == nil {
			return false
		}
		found = pred(m)
		return !found
	})
	return found
}

// Std reports whether the package being analyzed is in the standard library (its files are
// under GOROOT). Drivers run fact-exporting analyzers on every dependency; gracevet's facts
// describe application helpers, so the standard library is skipped.
func Std(pass *analysis.Pass) bool {
	goroot := build.Default.GOROOT
	if goroot == "" || len(pass.Files) == 0 {
		return false
	}
	src := filepath.Join(goroot, "src") + string(filepath.Separator)
	for _, f := range pass.Files { // cgo packages have generated files in the build cache
		if strings.HasPrefix(pass.Fset.File(f.Pos()).Name(), src) {
			return true
		}
	}
	return false
}
