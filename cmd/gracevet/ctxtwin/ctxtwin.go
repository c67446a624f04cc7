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

// helperSites gathers the handler calls of helpers that drop the context: the fix is in the
// helper, so each helper is reported once, at its first call, with the number of calls.
type helperSites struct {
	first []analysis.Diagnostic
	fns   []*types.Func
	count map[*types.Func]int
}

func (s *helperSites) add(fn *types.Func, d analysis.Diagnostic) {
	if s.count[fn] == 0 {
		s.first = append(s.first, d)
		s.fns = append(s.fns, fn)
	}
	s.count[fn]++
}

func (s *helperSites) report(pass *analysis.Pass) {
	for i, d := range s.first {
		if n := s.count[s.fns[i]] - 1; n > 0 {
			d.Message += fmt.Sprintf(" (%d more handler calls of %s in this package)", n, s.fns[i].Name())
		}
		pass.Report(d)
	}
}

func check(pass *analysis.Pass, h handler.Handler, call *ast.CallExpr, fn *types.Func, sites *helperSites) {
	if localDB(pass, fn) {
		return
	}
	ctx := handler.ContextExpr(pass, h, call.Pos())
	sel, isSel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !isSel {
		helper(pass, h, call, fn, ctx, sites) // a dot-imported or same-package function: no twin table for it
		return
	}
	name := describe(fn)
	if msg, fix := special(pass, call, sel, fn, ctx); msg != "" {
		d := analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf("%s in %s ignores the request context, so Shutdown waits for it: %s", name, handler.Describe(h.Kind), msg)}
		if fix != nil {
			d.SuggestedFixes = []analysis.SuggestedFix{*fix}
		}
		pass.Report(d)
		return
	}
	twin := twinOf(fn)
	if twin == "" || logging(fn) {
		helper(pass, h, call, fn, ctx, sites)
		return
	}
	pass.Report(analysis.Diagnostic{
		Pos:     call.Pos(),
		End:     call.End(),
		Message: fmt.Sprintf("%s in %s ignores the request context, so Shutdown waits for it: use %s(%s, ...)", name, handler.Describe(h.Kind), twin, ctx),
		SuggestedFixes: []analysis.SuggestedFix{{
			Message:   fmt.Sprintf("Call %s with %s", twin, ctx),
			TextEdits: append([]analysis.TextEdit{{Pos: sel.Sel.Pos(), End: sel.Sel.End(), NewText: []byte(twin)}}, ctxArg(call, ctx)),
		}},
	})
}

// helper reports a call of a function with the DropsContext fact.
func helper(pass *analysis.Pass, h handler.Handler, call *ast.CallExpr, fn *types.Func, ctx string, sites *helperSites) {
	var fact DropsContext
	if !pass.ImportObjectFact(fn, &fact) {
		return
	}
	via := ""
	if fact.Via != "" {
		via = " through " + fact.Via
	}
	sites.add(fn, analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
		"%s in %s drops the request context: it runs %s (%s%s) without one, so Shutdown waits for it; give %s the context (%s) and use the call's context-taking form",
		fn.Name(), handler.Describe(h.Kind), fact.What, fact.Where, via, fn.Name(), ctx)})
}
