// Package ctxtwin defines an Analyzer that reports blocking calls in HTTP handlers that have a
// context-taking twin (db.QueryRow and db.QueryRowContext, http.NewRequest and
// http.NewRequestWithContext, ...) while the request's context is at hand.
//
// http.Server.Shutdown waits for running handlers and never cancels them, and a handler's
// request context is canceled when the client goes away or the server gives up on it; a call
// that ignores that context keeps the handler, and so the shutdown, waiting.
package ctxtwin

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

const doc = `report blocking calls in HTTP handlers that ignore the request context

In a function with the http.HandlerFunc shape, or a ServeHTTP method, a call to an API that has
a context-taking twin is reported: a method or function M when M+"Context" or M+"WithContext"
exists with a context.Context first and otherwise the same signature (database/sql's Query,
QueryRow, Exec, Prepare, Ping; exec.Command; http.NewRequest), and the well-known ones whose twin
has another shape (DB.Begin, net.Dial, net.Lookup*, http.Get/Head/Post/PostForm). Where the twin
has the same arguments, a suggested fix passes the handler's ctx variable, or r.Context().
Calls in function literals (goroutines, callbacks) are not reported: they do not run on the
request's schedule.
Handlers: net/http shapes, gin, echo, Fiber, connect-go and gRPC unary methods. Across calls
(facts, any package): a handler's call of a helper that makes such a call, directly or one call
down, where the helper had a context or the request at hand, or the call is outbound (net/http,
net, os/exec); reported once per helper and package. Not reported: database/sql in packages
importing a SQLite driver, net.DialTimeout (bounded), programs that never drain (package main
or a package building its own http.Server, with no Shutdown/GracefulStop and no grace import).`

// Analyzer reports context-less blocking calls in HTTP handlers.
var Analyzer = analyzer.New("ctxtwin", doc, analyzer.TypesOnly, run, new(DropsContext))

// DropsContext is the fact that a function makes, directly or one call further down, a
// blocking call that ignores any context (one that ctxtwin reports in a handler).
type DropsContext struct {
	What  string // the call: "(*sql.DB).QueryRow"
	Where string // file:line of the call
	Via   string // the helper the call is in, when it is one call further down; "" if direct
}

// AFact marks DropsContext as an analysis fact.
func (*DropsContext) AFact() {}

func (f *DropsContext) String() string {
	if f.Via != "" {
		return fmt.Sprintf("drops the context: %s at %s via %s", f.What, f.Where, f.Via)
	}
	return fmt.Sprintf("drops the context: %s at %s", f.What, f.Where)
}

func run(pass *analysis.Pass) (any, error) {
	exportFacts(pass)
	if handler.NeverDrains(pass) {
		return nil, nil
	}
	sites := &helperSites{count: map[*types.Func]int{}}
	for _, h := range handler.Find(pass) {
		if h.Request == nil {
			continue // no request context at hand
		}
		handler.Inspect(h.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if fn := callee.Func(pass.TypesInfo, call); fn != nil {
				check(pass, h, call, fn, sites)
			}
			return true
		})
	}
	sites.report(pass)
	return nil, nil
}

// exportFacts records DropsContext for each declared function that is not a handler and makes a
// context-less blocking call outside function literals, or calls a function that does so
// directly (two levels: deeper chains are usually layers that pass a context along somewhere).
func exportFacts(pass *analysis.Pass) {
	info := pass.TypesInfo
	var fns []funcs.Decl
	hasCtx := map[*types.Func]bool{}
	for _, d := range handler.Helpers(pass) {
		if !d.Test {
			fns = append(fns, d)
			hasCtx[d.Obj] = hasContext(info, d.Decl.Type)
		}
	}
	// raw holds every function's own context-less blocking call; which of them become facts
	// is decided below.
	type rawDrop struct {
		fact   *DropsContext
		hasCtx bool
		out    bool
	}
	raw := map[*types.Func]rawDrop{}
	for _, f := range fns {
		handler.Inspect(f.Decl.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || raw[f.Obj].out {
				return !raw[f.Obj].out
			}
			// The first such call, or the first outbound one after a database call.
			if c := callee.Func(info, call); c != nil && blocking(pass, call, c) && (raw[f.Obj].fact == nil || outbound(c)) {
				raw[f.Obj] = rawDrop{&DropsContext{What: describe(c), Where: analyzer.Where(pass, call.Pos())}, hasCtx[f.Obj], outbound(c)}
			}
			return true
		})
	}
	// A data layer written without contexts is a design, not a slip: a database call counts
	// only where a function had a context (or the request) at hand and dropped it, itself or by
	// calling a helper without it. Outbound network calls and commands, whose duration a remote
	// party or another program decides, count in any helper.
	for _, f := range fns {
		if r := raw[f.Obj]; r.fact != nil {
			if r.hasCtx || r.out {
				pass.ExportObjectFact(f.Obj, r.fact)
			}
			continue
		}
		var found *DropsContext
		handler.Inspect(f.Decl.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found != nil {
				return found == nil
			}
			c := callee.Func(info, call)
			if c == nil || c == f.Obj {
				return true
			}
			var d *DropsContext
			if r := raw[c]; r.fact != nil && (hasCtx[f.Obj] || r.hasCtx || r.out) {
				d = r.fact
			} else if c.Pkg() != pass.Pkg {
				var imported DropsContext
				if pass.ImportObjectFact(c, &imported) && imported.Via == "" {
					d = &imported
				}
			}
			if d != nil {
				found = &DropsContext{What: d.What, Where: d.Where, Via: c.Name()}
			}
			return true
		})
		if found != nil {
			pass.ExportObjectFact(f.Obj, found)
		}
	}
}

// hasContext reports whether a function takes a context.Context or an *http.Request.
func hasContext(info *types.Info, ft *ast.FuncType) bool {
	for _, field := range ft.Params.List {
		if t := info.TypeOf(field.Type); t != nil && (callee.IsContext(t) || handler.IsRequestType(t)) {
			return true
		}
	}
	return false
}

// outbound reports whether fn talks to another machine or program: net/http, net, os/exec.
func outbound(fn *types.Func) bool {
	if fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() {
	case "net/http", "net", "os/exec":
		return true
	}
	return false
}
