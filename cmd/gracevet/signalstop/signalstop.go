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
go vet's sigchanyzer already reports unbuffered channels passed to signal.Notify; this does not.`

// Analyzer reports signal registrations that outlive their code.
var Analyzer = &analysis.Analyzer{
	Name:     "signalstop",
	Doc:      doc,
	URL:      "https://github.com/gracekit/grace/tree/main/cmd/gracevet#signalstop",
	Requires: []*analysis.Analyzer{ctrlflow.Analyzer},
	Run:      run,
}

func run(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	cfgs := pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs)
	for _, fn := range funcs.All(pass) {
		isMain := pass.Pkg.Name() == "main" && fn.Decl != nil && fn.Decl.Recv == nil && fn.Decl.Name.Name == "main"
		funcs.Walk(fn.Body, func(n ast.Node, parents []ast.Node) {
			switch n := n.(type) {
			case *ast.AssignStmt:
				checkNotifyContext(pass, n)
			case *ast.CallExpr:
				if !isMain && callee.IsPkgFunc(info, n, "os/signal", "Notify") && len(n.Args) >= 1 {
					checkNotify(pass, cfgs, fn, n, parents)
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

func checkNotify(pass *analysis.Pass, cfgs *ctrlflow.CFGs, fn funcs.Func, call *ast.CallExpr, parents []ast.Node) {
	info := pass.TypesInfo
	id, ok := ast.Unparen(call.Args[0]).(*ast.Ident)
	if !ok {
		return
	}
	v, ok := info.Uses[id].(*types.Var)
	if !ok || v.Pos() < fn.Body.Pos() || v.Pos() > fn.Body.End() || handedOff(info, fn.Body, v) {
		return // not this function's own channel
	}
	// A path is settled by signal.Stop(ch) or signal.Reset, and also by a receive from ch: a
	// function that returns because the signal came is the process's own signal waiter, and the
	// process is on its way out.
	released := func(n ast.Node) bool {
		return funcs.Mentions(n, func(m ast.Node) bool {
			switch m := m.(type) {
			case *ast.UnaryExpr:
				return m.Op == token.ARROW && callee.ObjectOf(info, m.X) == v
			case *ast.CallExpr:
				if callee.IsPkgFunc(info, m, "os/signal", "Reset") {
					return true
				}
				return callee.IsPkgFunc(info, m, "os/signal", "Stop") && len(m.Args) == 1 && callee.ObjectOf(info, m.Args[0]) == v
			}
			return false
		})
	}
	pos, leaks := flow.Leak(flow.Query{
		CFG:      fn.CFG,
		Acquire:  call.Pos(),
		Released: released,
		NoReturn: flow.NoReturn(info, cfgs),
		// The channel is never closed, so a range over it never ends.
		Endless: flow.Loops(info, func(x ast.Expr) bool { return callee.ObjectOf(info, x) == v }),
		End:     fn.Body.Rbrace,
	})
	if !leaks {
		return
	}
	where := flow.Exit(pass.Fset, pos, fn.Body.Rbrace)
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
