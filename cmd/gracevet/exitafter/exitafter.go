// Package exitafter defines an Analyzer that reports process exits that skip shutdown work:
// os.Exit or log.Fatal with deferred calls pending, os.Exit right after a server's Shutdown, and
// os.Exit in library code.
package exitafter

import (
	"fmt"
	"go/ast"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

const doc = `report process exits that skip shutdown work

os.Exit, log.Fatal* and other functions named like fatal/exit/die that never return end the process at once:
deferred calls do not run, goroutines are abandoned. Reported, one diagnostic per exit:
  - an exit with a deferred call pending in the same function (a defer earlier in an enclosing
    block); defers that do not matter at exit are ignored: context cancel funcs, mutex unlocks,
    WaitGroup.Done, Ticker/Timer.Stop, signal.Stop, and Close of what the kernel closes anyway
    (*os.File, net and database/sql handles, response bodies, sql.Tx.Rollback);
  - an exit after a Shutdown(ctx) or GracefulStop() call in the same function, outside the
    branch that handles that call's error: return from main instead;
  - os.Exit in a package other than main, except command code (a cmd or cli path element),
    TestMain, func Main (an entry point a main calls), generated files and signal handlers
    (a forced exit on a second signal).
Also reported: after Shutdown, a call of a helper that can exit (facts, any package). Defers of
functions whose body only does what does not matter at exit (a Close that only closes a
database handle; facts, any package) are ignored, and so is os.Exit in the program's own exit
helper (a function named like fatal/exit/die, or a package-level func literal hook).`

// Analyzer reports exits that skip shutdown work.
var Analyzer = analyzer.New("exitafter", doc, analyzer.ControlFlow, run, new(MayExit), new(Harmless))

type event struct {
	node  ast.Node
	block ast.Node   // innermost enclosing block (BlockStmt, CaseClause, CommClause)
	path  []ast.Node // ancestors within the function, outermost first
}

func run(pass *analysis.Pass) (any, error) {
	cfgs := analyzer.CFGs(pass)
	state := &pkgState{}
	if !funcs.Std(pass) {
		exportFacts(pass, cfgs, state)
	}
	for _, f := range pass.Files {
		for _, d := range funcs.DeclaredIn(pass, f) {
			fd := d.Decl
			// os.Exit in library code is reported except in command code (packages under a
			// cmd or cli directory), TestMain, an entry point that a main calls (func Main),
			// and generated code.
			// A program's own exit helper (func Fatal, exitWithError, die) is where it exits on
			// purpose; its callers are checked instead.
			library := pass.Pkg.Name() != "main" && !funcs.Command(pass.Pkg.Path()) && !d.Test && !ast.IsGenerated(f) &&
				fd.Name.Name != "TestMain" && fd.Name.Name != "Main" && !exitLike(fd.Name.Name)
			checkFunc(pass, state, cfgs, fd.Body, library)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok {
					checkFunc(pass, state, cfgs, lit.Body, library)
				}
				return true
			})
		}
		// Function literals outside functions (var exit = func(code int) { os.Exit(code) })
		// are exit hooks kept replaceable for tests: only pending defers are checked in them.
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok {
				ast.Inspect(gd, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok {
						checkFunc(pass, state, cfgs, lit.Body, false)
						return false
					}
					return true
				})
			}
		}
	}
	return nil, nil
}

// checkFunc checks one function body, not entering nested function literals.
func checkFunc(pass *analysis.Pass, state *pkgState, cfgs *ctrlflow.CFGs, body *ast.BlockStmt, library bool) {
	info := pass.TypesInfo
	var defers, shutdowns, exits, mayExits []event
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		stack = append(stack, n)
		ev := func() event {
			path := append([]ast.Node(nil), stack[:len(stack)-1]...)
			return event{node: n, block: innermostBlock(path), path: path}
		}
		switch n := n.(type) {
		case *ast.DeferStmt:
			if !harmlessCall(pass, n.Call) {
				defers = append(defers, ev())
			}
		case *ast.CallExpr:
			switch {
			case isShutdown(info, n):
				shutdowns = append(shutdowns, ev())
			case exitName(info, cfgs, n) != "":
				exits = append(exits, ev())
			default:
				if fn := callee.Func(info, n); fn != nil && state.exits(pass, fn) != nil {
					mayExits = append(mayExits, ev())
				}
			}
		}
		return true
	})
	for _, ex := range mayExits {
		call := ex.node.(*ast.CallExpr)
		if s, ok := after(shutdowns, ex); ok {
			fn := callee.Func(info, call)
			f := state.exits(pass, fn)
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"%s can end the process (%s at %s) after %s (line %d), abandoning goroutines and skipping the cleanup that follows shutdown: return an error to main instead",
				fn.Name(), f.What, f.Where, render(s.node.(*ast.CallExpr).Fun), pass.Fset.Position(s.node.Pos()).Line)})
		}
	}
	for _, ex := range exits {
		call := ex.node.(*ast.CallExpr)
		name := exitName(info, cfgs, call)
		if d, ok := pending(defers, ex); ok {
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"%s skips the deferred %s (line %d): return (or return an error) instead, and exit only from main once cleanup has run",
				name, render(d.node.(*ast.DeferStmt).Call.Fun), pass.Fset.Position(d.node.Pos()).Line)})
			continue
		}
		if s, ok := after(shutdowns, ex); ok {
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"%s after %s (line %d) abandons goroutines and skips the cleanup that follows shutdown: return from main instead",
				name, render(s.node.(*ast.CallExpr).Fun), pass.Fset.Position(s.node.Pos()).Line)})
			continue
		}
		// A forced exit on a signal (the second Ctrl-C, SIGQUIT) is what the user asked for.
		if library && callee.IsPkgFunc(info, call, "os", "Exit") && !receivesSignal(info, body) {
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: "os.Exit outside package main ends the process behind its callers' backs, skipping their defers and shutdown: return an error instead"})
		}
	}
}

func render(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name + "()"
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			return id.Name + "." + e.Sel.Name + "()"
		}
		return e.Sel.Name + "()"
	case *ast.FuncLit:
		return "func literal"
	}
	return "call"
}
