// Package chanloop defines an Analyzer that reports goroutines whose loop over a channel has no
// way out at shutdown: `for v := range ch` over a channel that is never closed, or
// `for { <-ch }` with no ctx.Done() case and no return or break.
package chanloop

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/flow"
)

const doc = `report goroutines that loop over a channel with no way out at shutdown

For each go statement whose function is a literal or is declared in the package, loops in the
goroutine's body are checked:
  - for ... range ch, when ch is a ticker's channel (never closed), or a variable or field of this
    package that nothing in the package closes and that is not handed to other code that could;
  - for { ... } with no condition that receives from a channel;
and either is reported only if the loop has no exit: no return, no break or goto leaving it, no
call that does not return. A select with a case <-ctx.Done(): return is such an exit.`

// Analyzer reports goroutine loops over channels with no exit.
var Analyzer = &analysis.Analyzer{
	Name:     "chanloop",
	Doc:      doc,
	URL:      "https://github.com/gracekit/grace/tree/main/cmd/gracevet#chanloop",
	Requires: []*analysis.Analyzer{ctrlflow.Analyzer},
	Run:      run,
}

type checker struct {
	pass     *analysis.Pass
	cfgs     *ctrlflow.CFGs
	decls    map[*types.Func]*ast.FuncDecl
	closed   map[types.Object]bool
	params   map[types.Object]bool         // parameters of every function in the package
	uses     map[types.Object][]*ast.Ident // every use of each channel-typed object
	reported map[token.Pos]bool
}

func run(pass *analysis.Pass) (any, error) {
	c := &checker{
		pass:     pass,
		cfgs:     pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs),
		decls:    map[*types.Func]*ast.FuncDecl{},
		closed:   map[types.Object]bool{},
		params:   map[types.Object]bool{},
		uses:     map[types.Object][]*ast.Ident{},
		reported: map[token.Pos]bool{},
	}
	var gos []*ast.GoStmt
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if fn, ok := pass.TypesInfo.Defs[n.Name].(*types.Func); ok && n.Body != nil {
					c.decls[fn] = n
				}
			case *ast.FuncType:
				for _, field := range n.Params.List {
					for _, name := range field.Names {
						c.params[pass.TypesInfo.Defs[name]] = true
					}
				}
			case *ast.GoStmt:
				gos = append(gos, n)
			case *ast.CallExpr:
				if callee.IsBuiltin(pass.TypesInfo, n, "close") && len(n.Args) == 1 {
					if obj := callee.ObjectOf(pass.TypesInfo, n.Args[0]); obj != nil {
						c.closed[obj] = true
					}
				}
			case *ast.Ident:
				if obj := pass.TypesInfo.Uses[n]; obj != nil {
					if _, isChan := obj.Type().Underlying().(*types.Chan); isChan {
						c.uses[obj] = append(c.uses[obj], n)
					}
				}
			}
			return true
		})
	}
	for _, g := range gos {
		c.goroutine(g)
	}
	return nil, nil
}

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
			return
		}
		body, ftype = decl.Body, decl.Type
	}
	args := c.paramArgs(ftype, g.Call)
	ast.Inspect(body, func(n ast.Node) bool {
		switch loop := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.RangeStmt:
			c.rangeLoop(g, loop, args)
		case *ast.ForStmt:
			c.forLoop(loop)
		}
		return true
	})
}

// paramArgs maps the started function's parameters to the go statement's arguments.
func (c *checker) paramArgs(ft *ast.FuncType, call *ast.CallExpr) map[types.Object]ast.Expr {
	m := map[types.Object]ast.Expr{}
	i := 0
	for _, field := range ft.Params.List {
		for _, name := range field.Names {
			if i < len(call.Args) {
				if obj := c.pass.TypesInfo.Defs[name]; obj != nil {
					m[obj] = call.Args[i]
				}
			}
			i++
		}
		if len(field.Names) == 0 {
			i++
		}
	}
	return m
}

func (c *checker) rangeLoop(g *ast.GoStmt, loop *ast.RangeStmt, args map[types.Object]ast.Expr) {
	t := c.pass.TypesInfo.TypeOf(loop.X)
	if t == nil {
		return
	}
	if _, isChan := t.Underlying().(*types.Chan); !isChan || c.hasExit(loop, loop.Body) {
		return
	}
	name := render(loop.X)
	if c.tickerChan(loop.X) {
		c.report(loop, fmt.Sprintf("goroutine ranges over %s, a ticker's channel that is never closed (Stop does not close it), and has no other exit: it leaks at shutdown; select on ctx.Done() and the tick, and return on ctx.Done()", name))
		return
	}
	obj := callee.ObjectOf(c.pass.TypesInfo, loop.X)
	if arg, isParam := args[obj]; isParam {
		obj = callee.ObjectOf(c.pass.TypesInfo, arg)
	}
	v, ok := obj.(*types.Var)
	// A parameter's channel belongs to a caller, which may close it; an exported one to other
	// packages.
	if !ok || v.Pkg() != c.pass.Pkg || c.params[v] || v.Exported() || c.closed[v] || c.escapes(v, g) {
		return
	}
	c.report(loop, fmt.Sprintf("goroutine ranges over %s, which nothing in this package closes, and has no ctx.Done() case or other exit: it leaks at shutdown; select on ctx.Done() alongside the receive, or close %s when its senders stop", name, name))
}

func (c *checker) forLoop(loop *ast.ForStmt) {
	if loop.Cond != nil && !flow.AlwaysTrue(c.pass.TypesInfo, loop.Cond) {
		return
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
		return
	}
	c.report(loop, fmt.Sprintf("goroutine loops forever receiving from %s with no ctx.Done() case and no return or break: it leaks at shutdown; add case <-ctx.Done(): return", recv))
}

func (c *checker) report(loop ast.Node, msg string) {
	if c.reported[loop.Pos()] {
		return
	}
	c.reported[loop.Pos()] = true
	c.pass.Report(analysis.Diagnostic{Pos: loop.Pos(), End: loop.Pos() + token.Pos(len("for")), Message: msg})
}

// tickerChan reports whether e is t.C of a time.Ticker or the result of time.Tick.
func (c *checker) tickerChan(e ast.Expr) bool {
	info := c.pass.TypesInfo
	switch e := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		if e.Sel.Name != "C" {
			return false
		}
		t := info.TypeOf(e.X)
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		named, ok := types.Unalias(t).(*types.Named)
		return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "time" && named.Obj().Name() == "Ticker"
	case *ast.CallExpr:
		return callee.IsPkgFunc(info, e, "time", "Tick")
	}
	return false
}

// escapes reports whether v is handed to code that might close it: passed to a call (other than
// this go statement, len, cap, signal.Notify/Stop), assigned to something else, returned, stored
// in a composite literal or sent on a channel.
func (c *checker) escapes(v *types.Var, g *ast.GoStmt) bool {
	for _, id := range c.uses[v] {
		if !c.harmlessUse(id, g) {
			return true
		}
	}
	return false
}

func (c *checker) harmlessUse(id *ast.Ident, g *ast.GoStmt) bool {
	info := c.pass.TypesInfo
	path := enclosing(c.pass.Files, id)
	var expr ast.Node = id
	for i := len(path) - 2; i >= 0; i-- {
		parent := path[i]
		switch p := parent.(type) {
		case *ast.SelectorExpr:
			if p.Sel == id { // x.ch: the use is the selector as a whole
				expr = p
				continue
			}
			return true
		case *ast.ParenExpr:
			expr = p
			continue
		case *ast.RangeStmt:
			return p.X == expr
		case *ast.UnaryExpr:
			return p.Op == token.ARROW
		case *ast.SendStmt:
			return p.Chan == expr
		case *ast.CallExpr:
			if p == g.Call {
				return true
			}
			if fn := callee.Func(info, p); fn != nil && fn == callee.Func(info, g.Call) {
				return true // another start of the same function: it only receives too
			}
			if callee.IsBuiltin(info, p, "close") || callee.IsBuiltin(info, p, "len") || callee.IsBuiltin(info, p, "cap") ||
				callee.IsPkgFunc(info, p, "os/signal", "Notify", "Stop", "Reset", "Ignore") {
				return true
			}
			return false
		case *ast.AssignStmt:
			for _, lhs := range p.Lhs {
				if lhs == expr {
					return true // written to: a make, not an alias
				}
			}
			return false
		case *ast.BinaryExpr: // ch == nil
			return true
		case *ast.KeyValueExpr: // S{ch: make(chan T)}: initialization, not an alias
			return p.Key == expr
		case *ast.CommClause, *ast.ExprStmt:
			return true
		default:
			return false
		}
	}
	return false
}

// enclosing returns the path of nodes from the file down to n.
func enclosing(files []*ast.File, n ast.Node) []ast.Node {
	for _, f := range files {
		if f.Pos() > n.Pos() || n.End() > f.End() {
			continue
		}
		var path []ast.Node
		ast.Inspect(f, func(m ast.Node) bool {
			if m == nil || m.Pos() > n.Pos() || m.End() < n.End() {
				return false
			}
			path = append(path, m)
			return m != n
		})
		return path
	}
	return nil
}

// hasExit reports whether control can leave loop from inside body: a return, a goto, a break of
// loop (or of an enclosing statement), a continue of an enclosing loop, or a call that never
// returns.
func (c *checker) hasExit(loop ast.Stmt, body *ast.BlockStmt) bool {
	info := c.pass.TypesInfo
	exit := false
	var walk func(n ast.Node, breakable bool)
	walk = func(root ast.Node, breakBindsLoop bool) {
		ast.Inspect(root, func(n ast.Node) bool {
			if exit || n == nil {
				return false
			}
			switch s := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				exit = true
			case *ast.BranchStmt:
				switch {
				case s.Tok == token.GOTO:
					exit = true
				case s.Label != nil && (s.Tok == token.BREAK || s.Tok == token.CONTINUE):
					if l := info.Uses[s.Label]; l != nil && (l.Pos() < loop.Pos() || l.Pos() >= loop.End()) {
						exit = true
					}
				case s.Tok == token.BREAK && breakBindsLoop:
					exit = true
				}
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if n != root {
					// An unlabeled break inside binds to this inner statement.
					for _, child := range children(s) {
						walk(child, false)
					}
					return false
				}
			case *ast.CallExpr:
				if c.noReturn(s) {
					exit = true
				}
			}
			return true
		})
	}
	walk(body, true)
	return exit
}

func children(s ast.Node) []ast.Node {
	switch s := s.(type) {
	case *ast.ForStmt:
		return []ast.Node{s.Body}
	case *ast.RangeStmt:
		return []ast.Node{s.Body}
	case *ast.SwitchStmt:
		return []ast.Node{s.Body}
	case *ast.TypeSwitchStmt:
		return []ast.Node{s.Body}
	case *ast.SelectStmt:
		return []ast.Node{s.Body}
	}
	return nil
}

func (c *checker) noReturn(call *ast.CallExpr) bool {
	if callee.IsBuiltin(c.pass.TypesInfo, call, "panic") {
		return true
	}
	fn := callee.Func(c.pass.TypesInfo, call)
	return fn != nil && c.cfgs.NoReturn(fn)
}

func render(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return render(e.X) + "." + e.Sel.Name
	case *ast.CallExpr:
		return render(e.Fun) + "()"
	case *ast.StarExpr:
		return "*" + render(e.X)
	}
	return "the channel"
}
