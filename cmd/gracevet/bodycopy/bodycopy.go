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
	info := pass.TypesInfo
	type fn struct {
		obj    *types.Func
		decl   *ast.FuncDecl
		params []*types.Var
	}
	var fns []fn
	for _, d := range handler.Helpers(pass) { // a handler's own reads are reported where they are
		if contextAware(info, d.Decl.Body) {
			continue
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
