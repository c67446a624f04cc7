// Package handler finds request handlers: net/http handlers (functions that take an
// http.ResponseWriter and an *http.Request: http.HandlerFunc, ServeHTTP methods, chi and the
// standard mux, and framework wrappers such as func(app *App, w http.ResponseWriter,
// r *http.Request) error), gin, echo and Fiber handlers (recognised by their context type's
// package path and name), and connect-go and gRPC unary handlers (a context.Context and a
// request). It names the request context and the request body that code inside them should use.
package handler

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/named"
)

// Kind is the framework a handler is written for.
type Kind int

// The handler kinds.
const (
	NetHTTP Kind = iota // func(w http.ResponseWriter, r *http.Request)
	Gin                 // func(c *gin.Context)
	Echo                // func(c echo.Context) error
	Fiber               // func(c *fiber.Ctx) error (v2), func(c fiber.Ctx) error (v3)
	RPC                 // connect-go and gRPC: func(ctx context.Context, req ...) (..., error)
)

// Handler is one request handler function in the package being analyzed.
type Handler struct {
	// Func is the *ast.FuncDecl or *ast.FuncLit.
	Func ast.Node
	// Body is the function body.
	Body *ast.BlockStmt
	Kind Kind
	// Request is the parameter that carries the request: the *http.Request of a net/http
	// handler, the framework context of gin, echo and Fiber, the context.Context of an RPC
	// handler. It is nil when that parameter is unnamed or blank: no request context is at hand.
	Request *types.Var
}

// Find returns every handler in the package, in source order. Function literals nested in a
// handler are handlers of their own only if they have a handler shape themselves. Handlers in
// _test.go files and in test-helper packages (testutil, apitest, testing...) are left out: they
// are test doubles behind httptest servers, which are closed, not drained.
func Find(pass *analysis.Pass) []Handler {
	if testHelper(pass.Pkg.Name()) || testPath(pass.Pkg.Path()) {
		return nil
	}
	var hs []Handler
	for _, f := range pass.Files {
		if analyzer.InTest(pass, f.Pos()) {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var ft *ast.FuncType
			var body *ast.BlockStmt
			var recv *ast.FieldList
			switch fn := n.(type) {
			case *ast.FuncDecl:
				ft, body, recv = fn.Type, fn.Body, fn.Recv
			case *ast.FuncLit:
				ft, body = fn.Type, fn.Body
			default:
				return true
			}
			if body == nil {
				return true
			}
			if kind, req, ok := Shape(pass.TypesInfo, recv, ft); ok {
				hs = append(hs, Handler{Func: n, Body: body, Kind: kind, Request: req})
			}
			return true
		})
	}
	return hs
}

// testPath reports whether a package path is test code: a test, tests, testdata or integration
// element (test servers, scenario doubles).
func testPath(path string) bool {
	for _, elem := range strings.Split(path, "/") {
		switch elem {
		case "test", "tests", "integration", "testdata":
			return true
		}
	}
	return false
}

// testHelper reports whether a package name is a test helper's: test*, *test, *testing.
func testHelper(name string) bool {
	return strings.HasPrefix(name, "test") || strings.HasSuffix(name, "test") || strings.HasSuffix(name, "testing")
}

// Shape reports whether a function with receiver list recv (nil for none) and type ft is a
// handler, its kind, and the parameter carrying the request (nil when blank or unnamed).
func Shape(info *types.Info, recv *ast.FieldList, ft *ast.FuncType) (Kind, *types.Var, bool) {
	if r, ok := netHTTP(info, ft); ok {
		return NetHTTP, r, true
	}
	params := fields(info, ft.Params)
	if len(params) == 1 {
		switch frameworkCtx(params[0].t) {
		case Gin:
			return Gin, params[0].v, true
		case Echo:
			return Echo, params[0].v, true
		case Fiber:
			return Fiber, params[0].v, true
		}
	}
	if len(params) == 2 && callee.IsContext(params[0].t) {
		if connectRequest(params[1].t) || recv != nil && grpcUnary(info, recv, ft, params[1].t) {
			return RPC, params[0].v, true
		}
	}
	return 0, nil, false
}

type param struct {
	t types.Type
	v *types.Var // nil when unnamed or blank
}

func fields(info *types.Info, fl *ast.FieldList) []param {
	var ps []param
	if fl == nil {
		return nil
	}
	for _, field := range fl.List {
		t := info.TypeOf(field.Type)
		if len(field.Names) == 0 {
			ps = append(ps, param{t: t})
		}
		for _, name := range field.Names {
			var v *types.Var
			if name.Name != "_" {
				v, _ = info.Defs[name].(*types.Var)
			}
			ps = append(ps, param{t: t, v: v})
		}
	}
	return ps
}

// netHTTP reports whether ft takes exactly one http.ResponseWriter and one *http.Request, and
// returns the request parameter when named. Other parameters and results are allowed: frameworks
// wrap the http.HandlerFunc shape as func(app *App, w http.ResponseWriter, r *http.Request) error
// and the like, and those functions serve the request all the same.
func netHTTP(info *types.Info, ft *ast.FuncType) (r *types.Var, ok bool) {
	var haveW, haveR int
	for _, p := range fields(info, ft.Params) {
		if named.Is(p.t, "net/http", "ResponseWriter") {
			haveW++
		} else if IsRequestType(p.t) {
			haveR++
			r = p.v
		}
	}
	return r, haveW == 1 && haveR == 1
}

// IsRequestType reports whether t is *http.Request.
func IsRequestType(t types.Type) bool {
	ptr, ok := t.(*types.Pointer)
	return ok && named.Is(ptr.Elem(), "net/http", "Request")
}

// frameworkCtx returns the kind of handler whose only parameter has type t: gin's *gin.Context,
// echo's echo.Context (v4; *echo.Context in v5), Fiber's *fiber.Ctx (v2) or fiber.Ctx (v3).
// It returns NetHTTP for anything else.
func frameworkCtx(t types.Type) Kind {
	obj := named.Of(named.Deref(t))
	if obj == nil || obj.Pkg() == nil {
		return NetHTTP
	}
	path, name := obj.Pkg().Path(), obj.Name()
	switch {
	case path == "github.com/gin-gonic/gin" && name == "Context":
		return Gin
	case (path == "github.com/labstack/echo" || strings.HasPrefix(path, "github.com/labstack/echo/v")) && name == "Context":
		return Echo
	case strings.HasPrefix(path, "github.com/gofiber/fiber/v") && name == "Ctx":
		return Fiber
	}
	return NetHTTP
}

// connectRequest reports whether t is one of connect-go's request types: *connect.Request[T],
// or a stream (*connect.ClientStream[T], *connect.BidiStream[T, U]).
func connectRequest(t types.Type) bool {
	obj := named.Of(named.Deref(t))
	if obj == nil {
		return false
	}
	path := named.Pkg(obj)
	return path == "connectrpc.com/connect" || path == "github.com/bufbuild/connect-go"
}

// grpcUnary reports whether a method is a gRPC unary handler: its receiver embeds the generated
// Unimplemented...Server type, and it takes (ctx, *Request) and returns (*Response, error).
func grpcUnary(info *types.Info, recv *ast.FieldList, ft *ast.FuncType, req types.Type) bool {
	if _, ok := req.(*types.Pointer); !ok || ft.Results == nil || len(recv.List) != 1 {
		return false
	}
	res := fields(info, ft.Results)
	if len(res) != 2 || !named.Is(res[1].t, "", "error") {
		return false
	}
	st, ok := named.Deref(info.TypeOf(recv.List[0].Type)).Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := range st.NumFields() {
		f := st.Field(i)
		if !f.Embedded() {
			continue
		}
		if obj := named.Of(named.Deref(f.Type())); obj != nil {
			n := obj.Name()
			if strings.HasPrefix(n, "Unimplemented") && strings.HasSuffix(n, "Server") {
				return true
			}
		}
	}
	return false
}

// Inspect walks the handler's body like ast.Inspect but does not enter nested function literals
// or go statements: code in a closure (a goroutine, a callback) or started with go runs on its
// own schedule, not the request's.
func Inspect(body *ast.BlockStmt, f func(ast.Node) bool) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit, *ast.GoStmt:
			return false
		}
		return f(n)
	})
}

// ContextExpr returns the source text of the context that a call at pos should take: a variable
// of type context.Context named ctx declared in the handler and in scope there (often derived
// from the request with a timeout), else the request's context: r.Context() (net/http),
// c.Request.Context() (gin), c.Request().Context() (echo), c.Context() (Fiber), or the ctx
// parameter (RPC). It returns "" when the handler has no usable request parameter.
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
	name := h.Request.Name()
	switch h.Kind {
	case Gin:
		return name + ".Request.Context()"
	case Echo:
		return name + ".Request().Context()"
	case Fiber:
		return name + ".Context()"
	case RPC:
		return name
	}
	return name + ".Context()"
}

// Describe names a handler kind for messages: "an HTTP handler", "an RPC handler".
func Describe(k Kind) string {
	if k == RPC {
		return "an RPC handler"
	}
	return "an HTTP handler"
}

// IsRequest reports whether e is the handler's request parameter.
func IsRequest(info *types.Info, h Handler, e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && h.Request != nil && info.ObjectOf(id) == h.Request
}

// HTTPRequest reports whether e denotes the handler's *http.Request: r (net/http),
// c.Request (gin), c.Request() (echo).
func HTTPRequest(info *types.Info, h Handler, e ast.Expr) bool {
	switch h.Kind {
	case NetHTTP:
		return IsRequest(info, h, e)
	case Gin:
		sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Request" && IsRequest(info, h, sel.X)
	case Echo:
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok || len(call.Args) != 0 {
			return false
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Request" && IsRequest(info, h, sel.X)
	}
	return false
}

// IsBody reports whether e is the request body: r.Body, c.Request.Body (gin),
// c.Request().Body (echo). Fiber reads the whole body before the handler runs, so it has none.
func IsBody(info *types.Info, h Handler, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Body" && HTTPRequest(info, h, sel.X)
}

// NeverDrains reports whether the package belongs to a program that never drains: package main,
// or a package that builds its own http.Server (&http.Server{...}), with no call of a
// Shutdown*/GracefulStop method and no import of the grace toolkit. A drain hazard there (a
// handler that Shutdown would wait for) has no drain to hold up.
func NeverDrains(pass *analysis.Pass) bool {
	if pass.Pkg.Name() != "main" && !buildsServer(pass) {
		return false
	}
	for _, imp := range pass.Pkg.Imports() {
		if strings.HasPrefix(imp.Path(), "github.com/gracekit/grace") {
			return false
		}
	}
	drains := false
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if fn := callee.Func(pass.TypesInfo, call); fn != nil && (strings.HasPrefix(fn.Name(), "Shutdown") || fn.Name() == "GracefulStop") {
					drains = true
				}
			}
			return !drains
		})
	}
	return !drains
}

// buildsServer reports whether the package constructs an http.Server with a composite literal.
func buildsServer(pass *analysis.Pass) bool {
	found := false
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.CompositeLit); ok && named.Is(pass.TypesInfo.TypeOf(lit), "net/http", "Server") {
				found = true
			}
			return !found
		})
	}
	return found
}
