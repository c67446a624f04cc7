// Package bodycopy defines an Analyzer that reports copies of a request body (io.Copy,
// io.ReadAll, ...) in HTTP handlers that have no context-aware path.
//
// A plain copy from r.Body blocks for as long as the client sends slowly; http.Server.Shutdown
// waits for it and the request context cannot stop it. gracehttp.CopyContext(ctx, dst, src)
// returns when ctx is done.
package bodycopy

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/handler"
)

const doc = `report request-body copies in HTTP handlers that ignore the request context

In a function with the http.HandlerFunc shape, or a ServeHTTP method, io.Copy, io.CopyN,
io.CopyBuffer, io.ReadAll, ioutil.ReadAll and (*bytes.Buffer).ReadFrom reading from r.Body
(directly, through a wrapper such as http.MaxBytesReader or io.LimitReader, or through a local
variable holding one) are reported, unless the handler has a context-aware path: the reader is
built by a call that takes a context.Context, or the handler calls context.AfterFunc or sets a
read deadline with http.ResponseController. A main package that never calls a Shutdown method
is not checked: nothing drains there for a copy to hold up. The fix is
github.com/gracekit/grace/gracehttp.CopyContext(r.Context(), dst, src).`

// Analyzer reports request-body copies that ignore the request context.
var Analyzer = &analysis.Analyzer{
	Name: "bodycopy",
	Doc:  doc,
	URL:  "https://github.com/gracekit/grace/tree/main/cmd/gracevet#bodycopy",
	Run:  run,
}

func run(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	if pass.Pkg.Name() == "main" && !callsShutdown(pass) {
		// A program that never shuts its server down gracefully has no drain for a copy to
		// hold up (and a client that goes away fails the read by itself).
		return nil, nil
	}
	for _, h := range handler.Find(pass) {
		if h.Request == nil || contextAware(info, h) {
			continue
		}
		bodies := bodyVars(info, h)
		handler.Inspect(h.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			src, what := source(info, call)
			if src == nil || !fromBody(info, h, bodies, src) {
				return true
			}
			ctx := handler.ContextExpr(pass, h, call.Pos())
			pass.Report(analysis.Diagnostic{
				Pos: call.Pos(),
				End: call.End(),
				Message: fmt.Sprintf("%s of the request body in an HTTP handler ignores the request context: a slow client holds Shutdown until it finishes; use gracehttp.CopyContext(%s, dst, %s) (github.com/gracekit/grace/gracehttp)",
					what, ctx, render(src)),
			})
			return true
		})
	}
	return nil, nil
}

// source returns the reader argument of a copy-like call and the call's name.
func source(info *types.Info, call *ast.CallExpr) (ast.Expr, string) {
	switch {
	case callee.IsPkgFunc(info, call, "io", "Copy", "CopyN", "CopyBuffer") && len(call.Args) >= 2:
		return call.Args[1], "io." + callee.Func(info, call).Name()
	case callee.IsPkgFunc(info, call, "io", "ReadAll") && len(call.Args) == 1:
		return call.Args[0], "io.ReadAll"
	case callee.IsPkgFunc(info, call, "io/ioutil", "ReadAll") && len(call.Args) == 1:
		return call.Args[0], "ioutil.ReadAll"
	case callee.IsMethod(info, call, "bytes", "Buffer", "ReadFrom") && len(call.Args) == 1:
		return call.Args[0], "(*bytes.Buffer).ReadFrom"
	}
	return nil, ""
}

// fromBody reports whether e reads from r.Body: r.Body itself, a wrapper call with r.Body among
// its arguments, or a local variable initialized from one. A wrapper built by a call that takes a
// context.Context is taken to be context-aware.
func fromBody(info *types.Info, h handler.Handler, bodies map[types.Object]bool, e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		return handler.IsRequestField(info, h, e, "Body")
	case *ast.Ident:
		return bodies[info.ObjectOf(e)]
	case *ast.CallExpr:
		if takesContext(info, e) {
			return false
		}
		for _, a := range e.Args {
			if fromBody(info, h, bodies, a) {
				return true
			}
		}
	}
	return false
}

// bodyVars returns the local variables assigned (only) from r.Body or a wrapper of it.
func bodyVars(info *types.Info, h handler.Handler) map[types.Object]bool {
	vars := map[types.Object]bool{}
	other := map[types.Object]bool{}
	record := func(id *ast.Ident, rhs ast.Expr) {
		obj := info.ObjectOf(id)
		switch {
		case obj == nil:
		case fromBody(info, h, vars, rhs):
			vars[obj] = true
		default:
			other[obj] = true
		}
	}
	handler.Inspect(h.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, lhs := range n.Lhs {
					if id, ok := lhs.(*ast.Ident); ok {
						record(id, n.Rhs[i])
					}
				}
			}
		case *ast.ValueSpec:
			if len(n.Names) == len(n.Values) {
				for i, id := range n.Names {
					record(id, n.Values[i])
				}
			}
		}
		return true
	})
	for obj := range other {
		delete(vars, obj) // reassigned to something else somewhere: unsure, stay quiet
	}
	return vars
}

func takesContext(info *types.Info, call *ast.CallExpr) bool {
	for _, a := range call.Args {
		if t := info.TypeOf(a); t != nil && callee.IsContext(t) {
			return true
		}
	}
	return false
}

// contextAware reports whether the handler bounds its reads some other way: context.AfterFunc
// (typically closing the body on cancel) or a read deadline via http.ResponseController.
func contextAware(info *types.Info, h handler.Handler) bool {
	aware := false
	ast.Inspect(h.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || aware {
			return !aware
		}
		if callee.IsPkgFunc(info, call, "context", "AfterFunc") ||
			callee.IsMethod(info, call, "net/http", "ResponseController", "SetReadDeadline", "SetDeadline") {
			aware = true
		}
		return true
	})
	return aware
}

func render(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			return id.Name + "." + e.Sel.Name
		}
	}
	return "src"
}

// callsShutdown reports whether the package calls a method named Shutdown anywhere.
func callsShutdown(pass *analysis.Pass) bool {
	found := false
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if fn := callee.Func(pass.TypesInfo, call); fn != nil && fn.Name() == "Shutdown" {
					found = true
				}
			}
			return !found
		})
	}
	return found
}
