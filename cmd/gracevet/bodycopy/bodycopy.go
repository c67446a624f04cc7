// Package bodycopy defines an Analyzer that reports reads of a request body (io.Copy,
// io.ReadAll, json.NewDecoder, ParseMultipartForm, ...) in request handlers that have no
// context-aware path, directly or through helper functions in any package.
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

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
	"github.com/gracekit/grace/cmd/gracevet/internal/handler"
)

const doc = `report request-body reads in request handlers that ignore the request context

In a request handler (net/http's func(w, r) shape, ServeHTTP, chi and the standard mux; gin's
*gin.Context and echo's echo.Context), these reads of the request body are reported: io.Copy,
io.CopyN, io.CopyBuffer, io.ReadAll, ioutil.ReadAll and (*bytes.Buffer).ReadFrom from r.Body
(directly, through a wrapper such as http.MaxBytesReader or io.LimitReader, or through a local
variable holding one), json.NewDecoder and xml.NewDecoder over it, r.ParseMultipartForm and
r.FormFile (gin and echo: c.FormFile, c.MultipartForm), and calls of helper functions, in this
package or another, that do one of these with the body or the request they are given. Not
reported when the handler has a context-aware path: the reader is built by a call that takes a
context.Context, or the handler calls context.AfterFunc or sets a read deadline with
http.ResponseController. A main package that never drains (no Shutdown or GracefulStop call,
no grace import) is not checked: nothing waits for a slow read there. The fix is
github.com/gracekit/grace/gracehttp.CopyContext(r.Context(), dst, src).`

// Analyzer reports request-body reads that ignore the request context.
var Analyzer = analyzer.New("bodycopy", doc, analyzer.TypesOnly, run, new(ReadsBody))

// ReadsBody is the fact that a function reads, without a context, the body of the reader or
// request it takes as parameter Param (a receiver is not counted).
type ReadsBody struct {
	Param int
	What  string // the read: "io.Copy", "json.NewDecoder", ...
	Where string // file:line of the read
}

// AFact marks ReadsBody as an analysis fact.
func (*ReadsBody) AFact() {}

func (f *ReadsBody) String() string {
	return fmt.Sprintf("reads param %d with %s at %s", f.Param, f.What, f.Where)
}

func run(pass *analysis.Pass) (any, error) {
	exportFacts(pass)
	if handler.NeverDrains(pass) {
		return nil, nil
	}
	info := pass.TypesInfo
	for _, h := range handler.Find(pass) {
		if h.Request == nil || h.Kind == handler.Fiber || h.Kind == handler.RPC || contextAware(info, h.Body) {
			continue
		}
		s := newScope(info, h.Body,
			func(e ast.Expr) bool { return handler.IsBody(info, h, e) },
			func(e ast.Expr) bool { return handler.HTTPRequest(info, h, e) },
			func(e ast.Expr) bool {
				return handler.IsRequest(info, h, e) && (h.Kind == handler.Gin || h.Kind == handler.Echo)
			})
		reads(pass, s, func(call *ast.CallExpr, r read) {
			ctx := handler.ContextExpr(pass, h, call.Pos())
			var msg string
			switch {
			case r.helper != nil:
				msg = fmt.Sprintf("%s reads the request body (%s at %s) without the request context: a slow client holds Shutdown until it finishes; read it with gracehttp.CopyContext(%s, dst, body) (github.com/gracekit/grace/gracehttp) or give the helper the context",
					r.helper.Name(), r.what, r.where, ctx)
			case r.src != nil:
				msg = fmt.Sprintf("%s of the request body in an HTTP handler ignores the request context: a slow client holds Shutdown until it finishes; use gracehttp.CopyContext(%s, dst, %s) (github.com/gracekit/grace/gracehttp)",
					r.what, ctx, render(r.src))
			default:
				msg = fmt.Sprintf("%s reads the request body in an HTTP handler without the request context: a slow client holds Shutdown until it finishes; copy the body with gracehttp.CopyContext(%s, dst, body) (github.com/gracekit/grace/gracehttp) first",
					r.what, ctx)
			}
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: msg})
		})
	}
	return nil, nil
}

// exportFacts records ReadsBody for every declared function that reads the body of a parameter
// (a reader, or an *http.Request's Body) or a helper that does, and has no context-aware path.
// Functions are visited until nothing changes, so helpers calling helpers in any order are seen.
func exportFacts(pass *analysis.Pass) {
	if funcs.Std(pass) {
		return
	}
	info := pass.TypesInfo
	type fn struct {
		obj    *types.Func
		decl   *ast.FuncDecl
		params []*types.Var
	}
	var fns []fn
	for _, d := range funcs.Declared(pass) {
		if contextAware(info, d.Decl.Body) {
			continue
		}
		if _, _, isHandler := handler.Shape(info, d.Decl.Recv, d.Decl.Type); isHandler {
			continue // its own reads are reported where they are
		}
		var params []*types.Var
		for _, p := range funcs.Params(info, d.Decl.Type) {
			v, _ := p.(*types.Var)
			params = append(params, v)
		}
		fns = append(fns, fn{d.Obj, d.Decl, params})
	}
	for changed := true; changed; {
		changed = false
		for _, f := range fns {
			if pass.ImportObjectFact(f.obj, new(ReadsBody)) {
				continue
			}
			for i, p := range f.params {
				if p == nil {
					continue
				}
				isParam := func(e ast.Expr) bool {
					id, ok := ast.Unparen(e).(*ast.Ident)
					return ok && info.ObjectOf(id) == p
				}
				isReq := handler.IsRequestType(p.Type())
				body := func(e ast.Expr) bool {
					if !isReq {
						return isParam(e)
					}
					sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
					return ok && sel.Sel.Name == "Body" && isParam(sel.X)
				}
				req := func(e ast.Expr) bool { return isReq && isParam(e) }
				var found *ReadsBody
				reads(pass, newScope(info, f.decl.Body, body, req, func(ast.Expr) bool { return false }), func(call *ast.CallExpr, r read) {
					if found == nil {
						found = &ReadsBody{Param: i, What: r.what, Where: r.where}
						if r.helper != nil {
							found.What = r.helper.Name() + "'s " + r.what
						}
					}
				})
				if found != nil {
					if found.Where == "" {
						found.Where = analyzer.Where(pass, f.decl.Pos())
					}
					pass.ExportObjectFact(f.obj, found)
					changed = true
					break
				}
			}
		}
	}
}

// scope tells, within one function body, what is the request body.
type scope struct {
	info    *types.Info
	body    *ast.BlockStmt
	isBody  func(ast.Expr) bool // the body itself: r.Body
	isReq   func(ast.Expr) bool // the *http.Request
	isFwCtx func(ast.Expr) bool // a gin or echo context
	vars    map[types.Object]bool
}

func newScope(info *types.Info, body *ast.BlockStmt, isBody, isReq, isFwCtx func(ast.Expr) bool) *scope {
	s := &scope{info: info, body: body, isBody: isBody, isReq: isReq, isFwCtx: isFwCtx, vars: map[types.Object]bool{}}
	s.bodyVars()
	return s
}

// read is one body read found in a function: a copy-like call (src set), a decoder or form
// parse, or a helper with the ReadsBody fact.
type read struct {
	what, where string
	src         ast.Expr
	helper      *types.Func
}

// reads calls report for every read of the request body in s.body, not entering literals.
func reads(pass *analysis.Pass, s *scope, report func(*ast.CallExpr, read)) {
	info := s.info
	// FormFile reads the body only when the form is not parsed yet: after ParseMultipartForm it
	// is that parse that reads, and only it is reported.
	parsed := false
	handler.Inspect(s.body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && callee.IsMethod(info, call, "net/http", "Request", "ParseMultipartForm") && s.recvIsReq(call) {
			parsed = true
		}
		return !parsed
	})
	handler.Inspect(s.body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		pos := analyzer.Where(pass, call.Pos())
		if src, what := source(info, call); src != nil && s.from(src) {
			report(call, read{what: what, where: pos, src: src})
			return true
		}
		fn := callee.Func(info, call)
		if fn == nil {
			return true
		}
		sig := fn.Type().(*types.Signature)
		switch {
		case (callee.IsPkgFunc(info, call, "encoding/json", "NewDecoder") || callee.IsPkgFunc(info, call, "encoding/xml", "NewDecoder")) &&
			len(call.Args) == 1 && s.from(call.Args[0]):
			report(call, read{what: fn.Pkg().Name() + ".NewDecoder", where: pos})
			return true
		case callee.IsMethod(info, call, "net/http", "Request", "ParseMultipartForm", "FormFile") && s.recvIsReq(call):
			if fn.Name() == "FormFile" && parsed {
				return true
			}
			report(call, read{what: "(*http.Request)." + fn.Name(), where: pos})
			return true
		case sig.Recv() != nil && (fn.Name() == "FormFile" || fn.Name() == "MultipartForm") && s.recvIsFwCtx(call):
			report(call, read{what: fn.Name(), where: pos})
			return true
		}
		var fact ReadsBody
		if pass.ImportObjectFact(fn, &fact) && fact.Param < len(call.Args) {
			a := call.Args[fact.Param]
			if s.from(a) || s.isReq(a) {
				report(call, read{what: fact.What, where: fact.Where, helper: fn})
			}
		}
		return true
	})
}

func (s *scope) recvIsReq(call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return ok && s.isReq(sel.X)
}

func (s *scope) recvIsFwCtx(call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return ok && s.isFwCtx(sel.X)
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

// from reports whether e reads from the body: the body itself, a wrapper call with it among its
// arguments, or a local variable initialized from one. A wrapper built by a call that takes a
// context.Context is taken to be context-aware.
func (s *scope) from(e ast.Expr) bool {
	if s.isBody(e) {
		return true
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return s.vars[s.info.ObjectOf(e)]
	case *ast.CallExpr:
		if takesContext(s.info, e) {
			return false
		}
		for _, a := range e.Args {
			if s.from(a) {
				return true
			}
		}
	}
	return false
}

// bodyVars records the local variables assigned (only) from the body or a wrapper of it.
func (s *scope) bodyVars() {
	other := map[types.Object]bool{}
	record := func(id *ast.Ident, rhs ast.Expr) {
		obj := s.info.ObjectOf(id)
		switch {
		case obj == nil:
		case s.from(rhs):
			s.vars[obj] = true
		default:
			other[obj] = true
		}
	}
	handler.Inspect(s.body, func(n ast.Node) bool {
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
		delete(s.vars, obj) // reassigned to something else somewhere: unsure, stay quiet
	}
}

func takesContext(info *types.Info, call *ast.CallExpr) bool {
	for _, a := range call.Args {
		if t := info.TypeOf(a); t != nil && callee.IsContext(t) {
			return true
		}
	}
	return false
}

// contextAware reports whether a body bounds its reads some other way: context.AfterFunc
// (typically closing the body on cancel) or a read deadline via http.ResponseController.
func contextAware(info *types.Info, body *ast.BlockStmt) bool {
	aware := false
	ast.Inspect(body, func(n ast.Node) bool {
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
