package ctxtwin

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/handler"
)

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

// check reports call, made in handler h, when it ignores the request context: a call with a
// context-taking twin (with the fix), a well-known one whose twin has another shape, or a call
// of a helper with the DropsContext fact.
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
