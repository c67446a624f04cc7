package chanloop

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/flow"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
	"github.com/gracekit/grace/cmd/gracevet/internal/named"
)

// goroutine checks the body of the function a go statement starts.
func (c *checker) goroutine(g *ast.GoStmt) {
	var body *ast.BlockStmt
	var ftype *ast.FuncType
	switch fun := ast.Unparen(g.Call.Fun).(type) {
	case *ast.FuncLit:
		body, ftype = fun.Body, fun.Type
	default:
		fn := callee.Func(c.pass.TypesInfo, g.Call)
		decl := c.decls[fn]
		if decl == nil {
			// Another package's function: its Loops fact says whether it loops.
			if l := c.factOf(g.Call); l != nil && !l.Starts {
				c.helperLoop(g, g.Call, l, nil)
			}
			return
		}
		body, ftype = decl.Body, decl.Type
	}
	args := c.paramArgs(ftype, g.Call)
	ast.Inspect(body, func(n ast.Node) bool {
		switch loop := n.(type) {
		case *ast.FuncLit, *ast.GoStmt:
			return false
		case *ast.RangeStmt:
			c.rangeLoop(g, loop, args)
		case *ast.ForStmt:
			c.forLoop(loop)
		case *ast.CallExpr:
			if l := c.factOf(loop); l != nil && !l.Starts {
				c.helperLoop(g, loop, l, args)
			}
		}
		return true
	})
}

// helperLoop reports a call, in a goroutine, of a helper with the Loops fact, when the loop has
// no exit here: it loops regardless of its arguments, or the channel passed to it is a ticker's
// or one nothing in this package closes.
func (c *checker) helperLoop(g *ast.GoStmt, call *ast.CallExpr, l *Loops, args map[types.Object]ast.Expr) {
	fn := callee.Func(c.pass.TypesInfo, call)
	if l.Param < 0 {
		c.report(call, fmt.Sprintf("goroutine runs %s, which %s (%s) and has no exit: it leaks at shutdown; give it a context and return on ctx.Done()", fn.Name(), l.What, l.Where))
		return
	}
	if l.Param >= len(call.Args) {
		return
	}
	arg := call.Args[l.Param]
	if a, isParam := args[callee.ObjectOf(c.pass.TypesInfo, arg)]; isParam {
		arg = a
	}
	if flow.TickerChan(c.pass.TypesInfo, arg) || c.unclosed(arg, g) {
		c.report(call, fmt.Sprintf("goroutine runs %s, which %s (%s) with no other exit, and nothing in this package closes %s: it leaks at shutdown; select on ctx.Done() alongside the receive, or close %s when its senders stop",
			fn.Name(), l.What, l.Where, render(arg), render(arg)))
	}
}

// paramArgs maps the started function's parameters to the go statement's arguments.
func (c *checker) paramArgs(ft *ast.FuncType, call *ast.CallExpr) map[types.Object]ast.Expr {
	m := map[types.Object]ast.Expr{}
	for i, p := range funcs.Params(c.pass.TypesInfo, ft) {
		if p != nil && i < len(call.Args) {
			m[p] = call.Args[i]
		}
	}
	return m
}

func (c *checker) rangeLoop(g *ast.GoStmt, loop *ast.RangeStmt, args map[types.Object]ast.Expr) {
	t := c.pass.TypesInfo.TypeOf(loop.X)
	if t == nil {
		return
	}
	if ch, isChan := t.Underlying().(*types.Chan); !isChan || c.hasExit(loop, loop.Body) || named.Is(ch.Elem(), "os", "Signal") {
		return // a loop over os.Signal values is the process's signal handler, as long-lived as it
	}
	name := render(loop.X)
	if flow.TickerChan(c.pass.TypesInfo, loop.X) {
		c.report(loop, fmt.Sprintf("goroutine ranges over %s, a ticker's channel that is never closed (Stop does not close it), and has no other exit: it leaks at shutdown; select on ctx.Done() and the tick, and return on ctx.Done()", name))
		return
	}
	x := loop.X
	if arg, isParam := args[callee.ObjectOf(c.pass.TypesInfo, x)]; isParam {
		x = arg
	}
	// A parameter's channel belongs to a caller, which may close it; an exported one to other
	// packages.
	if !c.unclosed(x, g) {
		return
	}
	c.report(loop, fmt.Sprintf("goroutine ranges over %s, which nothing in this package closes, and has no ctx.Done() case or other exit: it leaks at shutdown; select on ctx.Done() alongside the receive, or close %s when its senders stop", name, name))
}

func (c *checker) forLoop(loop *ast.ForStmt) {
	if recv := c.endlessReceive(loop); recv != "" {
		c.report(loop, fmt.Sprintf("goroutine loops forever receiving from %s with no ctx.Done() case and no return or break: it leaks at shutdown; add case <-ctx.Done(): return", recv))
	}
}

// endlessReceive returns the channel an endless loop (for {}, for true {}) receives from when
// it has no exit, else "".
func (c *checker) endlessReceive(loop *ast.ForStmt) string {
	if loop.Cond != nil && !flow.AlwaysTrue(c.pass.TypesInfo, loop.Cond) {
		return ""
	}
	recv := ""
	ast.Inspect(loop.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW && recv == "" {
				recv = render(n.X)
			}
		}
		return recv == ""
	})
	if recv == "" || c.hasExit(loop, loop.Body) {
		return ""
	}
	return recv
}

// startsVia reports a call (not a go statement) of a helper that starts a goroutine looping on
// the channel passed to it, when that channel has no exit here: a ticker's, or one nothing in
// this package closes.
func (c *checker) startsVia(call *ast.CallExpr) {
	l := c.factOf(call)
	if l == nil || !l.Starts || l.Param < 0 || l.Param >= len(call.Args) {
		return
	}
	if fn := c.enclosingFunc(call); fn != nil && (c.lifetime[fn] || starter(fn.Name())) {
		return
	}
	arg := call.Args[l.Param]
	if !flow.TickerChan(c.pass.TypesInfo, arg) && !c.unclosed(arg, nil) {
		return
	}
	fn := callee.Func(c.pass.TypesInfo, call)
	c.report(call, fmt.Sprintf("%s starts a goroutine that %s (%s) and has no other exit, and nothing in this package closes %s: it leaks at shutdown; give the goroutine a ctx.Done() case, or close %s when its senders stop",
		fn.Name(), l.What, l.Where, render(arg), render(arg)))
}
