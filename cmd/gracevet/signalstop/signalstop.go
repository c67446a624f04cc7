// Package signalstop defines an Analyzer that reports signal registrations that outlive the code
// that made them: signal.Notify in a function that can return without signal.Stop, and
// signal.NotifyContext whose stop function is thrown away.
package signalstop

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/flow"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

const doc = `report signal registrations that outlive their code

  - signal.Notify(ch, ...) where ch is a local channel used only for receiving, in a function
    other than main.main that can return without signal.Stop(ch) (or signal.Reset) and without
    having received from ch on the way (a function that returns because the signal came is the
    process's signal waiter, and is not reported):
    the registration stays for the life of the process, each call adds one, and after the
    function returns the signals are neither handled nor given their default action (a second
    SIGTERM no longer ends the process). A function that loops forever on the channel is
    process-long by design and is not reported. A suggested fix adds defer signal.Stop(ch).
  - ctx, _ := signal.NotifyContext(...): without its stop function the signals stay caught
    after ctx is done, so a second Ctrl-C cannot end a hung shutdown.
go vet's sigchanyzer already reports unbuffered channels passed to signal.Notify; this does not.
Function literals are checked too: one registering a channel its enclosing function made, and a
goroutine that receives the signal but can end without it while nothing undoes the
registration (a goroutine that ends only once the signal came is the signal waiter). A select
receiving the signal in one case and returning in another is followed case by case.`

// Analyzer reports signal registrations that outlive their code.
var Analyzer = analyzer.New("signalstop", doc, analyzer.ControlFlow, run)

func run(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	cfgs := analyzer.CFGs(pass)
	all := funcs.All(pass)
	lits := map[*ast.FuncLit]funcs.Func{}
	for _, fn := range all {
		if fn.Lit != nil {
			lits[fn.Lit] = fn
		}
	}
	for _, fn := range all {
		isMain := pass.Pkg.Name() == "main" && fn.Decl != nil && fn.Decl.Recv == nil && fn.Decl.Name.Name == "main"
		owner := outermost(all, fn)
		if owner.Decl != nil && owner.Decl.Recv == nil && owner.Decl.Name.Name == "main" && pass.Pkg.Name() == "main" {
			isMain = true // literals in main.main live as long as the process too
		}
		funcs.Walk(fn.Body, func(n ast.Node, parents []ast.Node) {
			switch n := n.(type) {
			case *ast.AssignStmt:
				checkNotifyContext(pass, n)
			case *ast.CallExpr:
				if !isMain && callee.IsPkgFunc(info, n, "os/signal", "Notify") && len(n.Args) >= 1 {
					checkNotify(pass, cfgs, fn, owner, lits, n, parents)
				}
			}
		})
	}
	return nil, nil
}

func checkNotifyContext(pass *analysis.Pass, as *ast.AssignStmt) {
	if len(as.Lhs) != 2 || len(as.Rhs) != 1 {
		return
	}
	call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
	if !ok || !callee.IsPkgFunc(pass.TypesInfo, call, "os/signal", "NotifyContext") {
		return
	}
	if id, ok := as.Lhs[1].(*ast.Ident); ok && id.Name == "_" {
		pass.Report(analysis.Diagnostic{Pos: id.Pos(), End: id.End(), Message: "the stop function of signal.NotifyContext is discarded: the signals stay caught after the context is done, so a second interrupt cannot end a hung shutdown; keep it and defer stop()"})
	}
}

// outermost returns the declared function (or top-level literal) whose body contains fn.
func outermost(all []funcs.Func, fn funcs.Func) funcs.Func {
	best := fn
	for _, f := range all {
		if f.Body.Pos() <= best.Body.Pos() && best.Body.End() <= f.Body.End() && f.Body != best.Body {
			best = f
		}
	}
	return best
}

func checkNotify(pass *analysis.Pass, cfgs *ctrlflow.CFGs, fn, owner funcs.Func, lits map[*ast.FuncLit]funcs.Func, call *ast.CallExpr, parents []ast.Node) {
	info := pass.TypesInfo
	id, ok := ast.Unparen(call.Args[0]).(*ast.Ident)
	if !ok {
		return
	}
	v, ok := info.Uses[id].(*types.Var)
	// The channel is a local of this function or of one enclosing it (a literal registering a
	// channel its outer function made).
	if !ok || v.Pos() < owner.Body.Pos() || v.Pos() > owner.Body.End() || handedOff(info, owner.Body, v) {
		return // not this function's own channel
	}
	receives := func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.UnaryExpr:
			return m.Op == token.ARROW && callee.ObjectOf(info, m.X) == v
		case *ast.RangeStmt:
			return callee.ObjectOf(info, m.X) == v
		}
		return false
	}
	stops := func(m ast.Node) bool {
		c, ok := m.(*ast.CallExpr)
		if !ok {
			return false
		}
		if callee.IsPkgFunc(info, c, "os/signal", "Reset") {
			return true
		}
		return callee.IsPkgFunc(info, c, "os/signal", "Stop") && len(c.Args) == 1 && callee.ObjectOf(info, c.Args[0]) == v
	}
	// A path is settled by signal.Stop(ch) or signal.Reset (anywhere, a goroutine's too), and
	// by a receive from ch in this function: a function that returns because the signal came is
	// the process's own signal waiter, and the process is on its way out. A receive in a
	// goroutine this function starts settles nothing here; the goroutine is checked below.
	released := func(n ast.Node) bool {
		if funcs.Mentions(n, stops) {
			return true
		}
		found := false
		ast.Inspect(n, func(m ast.Node) bool {
			if _, lit := m.(*ast.FuncLit); lit || found {
				return false
			}
			found = receives(m)
			return !found
		})
		return found
	}
	noReturn := flow.NoReturn(info, cfgs)
	endless := flow.Loops(info, func(x ast.Expr) bool { return callee.ObjectOf(info, x) == v })
	inCase := func(cc *ast.CommClause) bool { return cc.Comm != nil && released(cc.Comm) }
	pos, leaks := flow.Leak(flow.Query{
		CFG:      fn.CFG,
		Acquire:  call.Pos(),
		Case:     inCase,
		Released: released,
		NoReturn: noReturn,
		// The channel is never closed, so a range over it never ends.
		Endless: endless,
		End:     fn.Body.Rbrace,
	})
	if !leaks {
		return
	}
	where := flow.Exit(pass.Fset, pos, fn.Body.Rbrace)
	// Literals in this function that receive from ch: goroutines waiting for the signal. If one
	// only ever returns after the signal came (or never returns), it is the process's signal
	// waiter and the registration is meant to last; if one can return without it, that is
	// where the registration is left behind.
	litReleased := func(n ast.Node) bool { return funcs.Mentions(n, stops) || funcs.Mentions(n, receives) }
	waiter := false
	for lit, lf := range lits {
		if lit.Pos() < fn.Body.Pos() || lit.End() > fn.Body.End() || lit.Body == fn.Body || !funcs.Mentions(lit.Body, receives) {
			continue
		}
		p, litLeaks := flow.Leak(flow.Query{
			CFG:       lf.CFG,
			FromEntry: true,
			Released:  litReleased,
			Case:      func(cc *ast.CommClause) bool { return cc.Comm != nil && litReleased(cc.Comm) },
			NoReturn:  noReturn,
			Endless:   endless,
			End:       lit.Body.Rbrace,
		})
		if !litLeaks {
			waiter = true
			continue
		}
		pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
			"signal.Notify(%s) is never undone, and the function literal at line %d that receives from %s can end without having received a signal on the path that %s: the registration outlives it, so later signals are neither received nor given their default action; defer signal.Stop(%s) in it",
			v.Name(), pass.Fset.Position(lit.Pos()).Line, v.Name(), flow.Exit(pass.Fset, p, lit.Body.Rbrace), v.Name())})
		return
	}
	if waiter {
		return
	}
	d := analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
		"signal.Notify(%s) is never undone, and the function can return without having received a signal on the path that %s: the registration outlives the function, so later signals are neither received nor given their default action; defer signal.Stop(%s)",
		v.Name(), where, v.Name())}
	if stmt, ok := parents[len(parents)-1].(*ast.ExprStmt); ok && len(parents) >= 2 && parents[len(parents)-2] == fn.Body {
		pkg := render(call.Fun)
		d.SuggestedFixes = []analysis.SuggestedFix{{
			Message:   fmt.Sprintf("Add defer %s.Stop(%s)", pkg, v.Name()),
			TextEdits: []analysis.TextEdit{{Pos: stmt.End(), End: stmt.End(), NewText: []byte(fmt.Sprintf("\n\tdefer %s.Stop(%s)", pkg, v.Name()))}},
		}}
	}
	pass.Report(d)
}

// handedOff reports whether ch is used other than by receiving from it, ranging over it,
// signal.Notify/Stop/Reset, len/cap, or being assigned: returned, stored or passed elsewhere,
// its owner is the code it went to.
func handedOff(info *types.Info, body *ast.BlockStmt, v *types.Var) bool {
	off := false
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if off {
			return false
		}
		if id, ok := n.(*ast.Ident); ok && info.Uses[id] == v && len(stack) > 0 {
			switch p := stack[len(stack)-1].(type) {
			case *ast.UnaryExpr, *ast.RangeStmt, *ast.BinaryExpr:
			case *ast.AssignStmt:
				for _, r := range p.Rhs {
					if r == id {
						off = true
					}
				}
			case *ast.CallExpr:
				if !callee.IsPkgFunc(info, p, "os/signal", "Notify", "Stop", "Reset", "Ignore") &&
					!callee.IsBuiltin(info, p, "len") && !callee.IsBuiltin(info, p, "cap") {
					off = true
				}
			default:
				off = true
			}
		}
		stack = append(stack, n)
		return true
	})
	return off
}

func render(e ast.Expr) string {
	if sel, ok := ast.Unparen(e).(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return "signal"
}
