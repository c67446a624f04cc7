package bodycopy

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/handler"
)

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
