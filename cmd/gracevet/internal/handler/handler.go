// Package handler finds HTTP handlers, functions that take an http.ResponseWriter and an
// *http.Request (the http.HandlerFunc shape, ServeHTTP methods, and framework wrappers such as
// func(app *App, w http.ResponseWriter, r *http.Request) error), and names the request context
// that code inside them should pass on.
package handler

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
)

// Handler is one HTTP handler function in the package being analyzed.
type Handler struct {
	// Func is the *ast.FuncDecl or *ast.FuncLit.
	Func ast.Node
	// Body is the function body.
	Body *ast.BlockStmt
	// Writer and Request are the parameters; either is nil when it is unnamed or blank.
	Writer  *types.Var
	Request *types.Var
}

// Find returns every handler in the package, in source order. Function literals nested in a
// handler are handlers of their own only if they have the handler shape themselves. Handlers in
// _test.go files and in test-helper packages (testutil, apitest, testing...) are left out: they
// are test doubles behind httptest servers, which are closed, not drained.
func Find(pass *analysis.Pass) []Handler {
	if testHelper(pass.Pkg.Name()) {
		return nil
	}
	var hs []Handler
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var ft *ast.FuncType
			var body *ast.BlockStmt
			switch fn := n.(type) {
			case *ast.FuncDecl:
				ft, body = fn.Type, fn.Body
			case *ast.FuncLit:
				ft, body = fn.Type, fn.Body
			default:
				return true
			}
			if body == nil {
				return true
			}
			if w, r, ok := params(pass.TypesInfo, ft); ok {
				hs = append(hs, Handler{Func: n, Body: body, Writer: w, Request: r})
			}
			return true
		})
	}
	return hs
}

// testHelper reports whether a package name is a test helper's: test*, *test, *testing.
func testHelper(name string) bool {
	return strings.HasPrefix(name, "test") || strings.HasSuffix(name, "test") || strings.HasSuffix(name, "testing")
}

// params reports whether ft takes an http.ResponseWriter and an *http.Request, and returns those
// parameters when named. Other parameters and results are allowed: frameworks wrap the
// http.HandlerFunc shape as func(app *App, w http.ResponseWriter, r *http.Request) error and the
// like, and those functions serve the request all the same.
func params(info *types.Info, ft *ast.FuncType) (w, r *types.Var, ok bool) {
	var haveW, haveR int
	for _, field := range ft.Params.List {
		t := info.TypeOf(field.Type)
		isW := isNamed(t, "net/http", "ResponseWriter")
		ptr, isPtr := t.(*types.Pointer)
		isR := isPtr && isNamed(ptr.Elem(), "net/http", "Request")
		if !isW && !isR {
			continue
		}
		n := max(len(field.Names), 1)
		var v *types.Var
		if len(field.Names) == 1 && field.Names[0].Name != "_" {
			v, _ = info.Defs[field.Names[0]].(*types.Var)
		}
		if isW {
			haveW += n
			w = v
		} else {
			haveR += n
			r = v
		}
	}
	if haveW != 1 || haveR != 1 {
		return nil, nil, false
	}
	return w, r, true
}

func isNamed(t types.Type, pkgPath, name string) bool {
	named, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	obj := named.Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == pkgPath && obj.Name() == name
}

// Inspect walks the handler's body like ast.Inspect but does not enter nested function literals:
// code in a closure (a goroutine, a callback) runs on its own schedule, not the request's.
func Inspect(body *ast.BlockStmt, f func(ast.Node) bool) {
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		return f(n)
	})
}

// ContextExpr returns the source text of the context that a call at pos should take: a variable
// of type context.Context named ctx declared in the handler and in scope there (often derived from the request with a
// timeout), else "r.Context()" for the handler's request parameter r. It returns "" when the
// handler has no usable request parameter.
func ContextExpr(pass *analysis.Pass, h Handler, pos token.Pos) string {
	if h.Request == nil {
		return ""
	}
	if scope := pass.Pkg.Scope().Innermost(pos); scope != nil {
		if _, obj := scope.LookupParent("ctx", pos); obj != nil {
			// Only a ctx declared inside this handler is derived from the request; a ctx captured
			// from an enclosing function is some longer-lived context.
			if v, ok := obj.(*types.Var); ok && callee.IsContext(v.Type()) && v.Pos() > h.Body.Pos() && v.Pos() < h.Body.End() {
				return "ctx"
			}
		}
	}
	return h.Request.Name() + ".Context()"
}

// IsRequestField reports whether e is r.<field> for the handler's request parameter r.
func IsRequestField(info *types.Info, h Handler, e ast.Expr, field string) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != field || h.Request == nil {
		return false
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	return ok && info.ObjectOf(id) == h.Request
}
