// Package exitafter defines an Analyzer that reports process exits that skip shutdown work:
// os.Exit or log.Fatal with deferred calls pending, os.Exit right after a server's Shutdown, and
// os.Exit in library code.
package exitafter

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
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
    (a forced exit on a second signal).`

// Analyzer reports exits that skip shutdown work.
var Analyzer = &analysis.Analyzer{
	Name:     "exitafter",
	Doc:      doc,
	URL:      "https://github.com/gracekit/grace/tree/main/cmd/gracevet#exitafter",
	Requires: []*analysis.Analyzer{ctrlflow.Analyzer},
	Run:      run,
}

type event struct {
	node  ast.Node
	block ast.Node   // innermost enclosing block (BlockStmt, CaseClause, CommClause)
	path  []ast.Node // ancestors within the function, outermost first
}

func run(pass *analysis.Pass) (any, error) {
	cfgs := pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs)
	for _, f := range pass.Files {
		isTest := strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go")
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			// os.Exit in library code is reported except in command code (packages under a
			// cmd or cli directory), TestMain, an entry point that a main calls (func Main),
			// and generated code.
			library := pass.Pkg.Name() != "main" && !command(pass.Pkg.Path()) && !isTest && !ast.IsGenerated(f) &&
				fd.Name.Name != "TestMain" && fd.Name.Name != "Main"
			checkFunc(pass, cfgs, fd.Body, library)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok {
					checkFunc(pass, cfgs, lit.Body, library)
				}
				return true
			})
		}
	}
	return nil, nil
}

// checkFunc checks one function body, not entering nested function literals.
func checkFunc(pass *analysis.Pass, cfgs *ctrlflow.CFGs, body *ast.BlockStmt, library bool) {
	info := pass.TypesInfo
	var defers, shutdowns, exits []event
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
			if !irrelevantAtExit(info, n.Call) {
				defers = append(defers, ev())
			}
		case *ast.CallExpr:
			switch {
			case isShutdown(info, n):
				shutdowns = append(shutdowns, ev())
			case exitName(info, cfgs, n) != "":
				exits = append(exits, ev())
			}
		}
		return true
	})
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

// command reports whether a package path is command code: a cmd or cli element.
func command(path string) bool {
	for _, elem := range strings.Split(path, "/") {
		if elem == "cmd" || elem == "cli" {
			return true
		}
	}
	return false
}

// receivesSignal reports whether body (not nested literals) receives from, or ranges over, a
// channel of os.Signal.
func receivesSignal(info *types.Info, body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		var ch ast.Expr
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				ch = n.X
			}
		case *ast.RangeStmt:
			ch = n.X
		}
		if ch != nil {
			if c, ok := info.TypeOf(ch).Underlying().(*types.Chan); ok {
				if named, ok := types.Unalias(c.Elem()).(*types.Named); ok && named.Obj().Pkg() != nil &&
					named.Obj().Pkg().Path() == "os" && named.Obj().Name() == "Signal" {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// exitName names call if it ends the process: os.Exit, log.Fatal*, (*log.Logger).Fatal*, or a
// function or method named like fatal/exit/die that the control-flow facts show never returns.
func exitName(info *types.Info, cfgs *ctrlflow.CFGs, call *ast.CallExpr) string {
	fn := callee.Func(info, call)
	if fn == nil {
		return ""
	}
	switch {
	case callee.IsPkgFunc(info, call, "os", "Exit"):
		return "os.Exit"
	case callee.IsPkgFunc(info, call, "log", "Fatal", "Fatalf", "Fatalln"):
		return "log." + fn.Name()
	case callee.IsMethod(info, call, "log", "Logger", "Fatal", "Fatalf", "Fatalln"):
		return "(*log.Logger)." + fn.Name()
	case fn.Pkg() != nil && fn.Pkg().Path() == "testing":
		return "" // t.Fatal ends the goroutine with runtime.Goexit, which runs deferred calls
	case exitLike(fn.Name()) && cfgs.NoReturn(fn):
		return describe(fn)
	}
	return ""
}

// isShutdown reports whether call is x.Shutdown(ctx, ...) or x.GracefulStop().
func isShutdown(info *types.Info, call *ast.CallExpr) bool {
	fn := callee.Func(info, call)
	if fn == nil {
		return false
	}
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return false
	}
	switch fn.Name() {
	case "Shutdown":
		return sig.Params().Len() >= 1 && callee.IsContext(sig.Params().At(0).Type())
	case "GracefulStop":
		return sig.Params().Len() == 0
	}
	return false
}

// irrelevantAtExit reports deferred calls whose skipping changes nothing when the process ends.
func irrelevantAtExit(info *types.Info, call *ast.CallExpr) bool {
	if t := info.TypeOf(call.Fun); t != nil {
		if named, ok := types.Unalias(t).(*types.Named); ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "context" {
			return true // context.CancelFunc, CancelCauseFunc
		}
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Close" {
		// Closing what the kernel closes at exit anyway: files, sockets, database handles
		// (the database server rolls back on disconnect), response bodies.
		if callee.IsMethod(info, call, "os", "File", "Close") || isPkgMethod(info, call, "net") ||
			isPkgMethod(info, call, "database/sql") || isResponseBody(info, sel.X) {
			return true
		}
	}
	if callee.IsMethod(info, call, "database/sql", "Tx", "Rollback") {
		return true
	}
	return callee.IsMethod(info, call, "sync", "Mutex", "Unlock") ||
		callee.IsMethod(info, call, "sync", "RWMutex", "Unlock", "RUnlock") ||
		callee.IsMethod(info, call, "sync", "WaitGroup", "Done") ||
		callee.IsMethod(info, call, "time", "Ticker", "Stop") ||
		callee.IsMethod(info, call, "time", "Timer", "Stop") ||
		callee.IsPkgFunc(info, call, "os/signal", "Stop")
}

// isPkgMethod reports whether call is a method of a type declared in package pkgPath (including
// interface methods such as net.Conn's).
func isPkgMethod(info *types.Info, call *ast.CallExpr, pkgPath string) bool {
	fn := callee.Func(info, call)
	if fn == nil || fn.Type().(*types.Signature).Recv() == nil {
		return false
	}
	recv := fn.Type().(*types.Signature).Recv().Type()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := types.Unalias(recv).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == pkgPath
}

// isResponseBody reports whether e is resp.Body of an *http.Response.
func isResponseBody(info *types.Info, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Body" {
		return false
	}
	v, ok := info.ObjectOf(sel.Sel).(*types.Var)
	if !ok || !v.IsField() || v.Pkg() == nil || v.Pkg().Path() != "net/http" {
		return false
	}
	t := info.TypeOf(sel.X)
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	return ok && named.Obj().Name() == "Response"
}

// pending returns a defer registered before ex in a block that encloses ex.
func pending(defers []event, ex event) (event, bool) {
	for _, d := range defers {
		if d.node.Pos() < ex.node.Pos() && contains(ex.path, d.block) {
			return d, true
		}
	}
	return event{}, false
}

// after returns a shutdown call that precedes ex on its success path: ex follows it, and ex is
// not inside an if statement, entered after the shutdown, whose condition tests for a non-nil
// error (`if err := srv.Shutdown(ctx); err != nil { log.Fatal(err) }` is the error path).
func after(shutdowns []event, ex event) (event, bool) {
	for _, s := range shutdowns {
		if s.node.Pos() >= ex.node.Pos() || !contains(ex.path, s.block) {
			continue
		}
		errPath := false
		for _, n := range ex.path {
			if is, ok := n.(*ast.IfStmt); ok && is.End() > s.node.Pos() && testsNonNil(is.Cond) {
				errPath = true
			}
		}
		if !errPath {
			return s, true
		}
	}
	return event{}, false
}

func testsNonNil(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if b, ok := n.(*ast.BinaryExpr); ok && b.Op == token.NEQ {
			if id, ok := b.Y.(*ast.Ident); ok && id.Name == "nil" {
				found = true
			}
		}
		return !found
	})
	return found
}

func innermostBlock(path []ast.Node) ast.Node {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i].(type) {
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
			return path[i]
		}
	}
	return nil
}

func contains(path []ast.Node, n ast.Node) bool {
	for _, p := range path {
		if p == n {
			return true
		}
	}
	return false
}

// exitLike reports whether a never-returning function's name says it exits rather than panics:
// Fatalf, fatal, Exitf, printErrorAndExit, die.
func exitLike(name string) bool {
	lower := strings.ToLower(name)
	return strings.Contains(lower, "fatal") || strings.Contains(lower, "exit") || strings.HasPrefix(lower, "die")
}

// describe names a package function as pkg.Name and a method as Type.Name.
func describe(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return fn.Pkg().Name() + "." + fn.Name()
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if named, ok := types.Unalias(t).(*types.Named); ok {
		return "(" + fn.Pkg().Name() + "." + named.Obj().Name() + ")." + fn.Name()
	}
	return fn.Name()
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
