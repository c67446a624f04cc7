// Package chanloop defines an Analyzer that reports goroutines whose loop over a channel has no
// way out at shutdown: `for v := range ch` over a channel that is never closed, or
// `for { <-ch }` with no ctx.Done() case and no return or break.
package chanloop

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/flow"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

const doc = `report goroutines that loop over a channel with no way out at shutdown

For each go statement whose function is a literal or is declared in the package, loops in the
goroutine's body are checked:
  - for ... range ch, when ch is a ticker's channel (never closed), or a variable or field of this
    package that nothing in the package closes and that is not handed to other code that could;
  - for { ... } with no condition that receives from a channel;
and either is reported only if the loop has no exit: no return, no break or goto leaving it, no
call that does not return. A select with a case <-ctx.Done(): return is such an exit.
Across calls (facts, any package): a goroutine running a helper that loops so, and a call of a
helper that starts such a goroutine on a channel nothing here closes. Not reported: loops over
os.Signal channels, and goroutines that live as long as the process: started once (not in a
loop) by a constructor or starter (New.., Create.., Start.., Run.., Init.., Setup.., Serve..,
Listen.., Open.., Register.., Load..), or from main/init paths of a command.`

// Analyzer reports goroutine loops over channels with no exit.
var Analyzer = &analysis.Analyzer{
	Name:      "chanloop",
	Doc:       doc,
	URL:       "https://github.com/gracekit/grace/tree/main/cmd/gracevet#chanloop",
	Requires:  []*analysis.Analyzer{ctrlflow.Analyzer},
	Run:       run,
	FactTypes: []analysis.Fact{new(Loops)},
}

// Loops is the fact that a function, when it runs, loops over a channel with no exit: over a
// ticker's channel or forever receiving (Param -1), or over the channel it takes as parameter
// Param. Starts is set when the function does not loop itself but starts a goroutine that
// does, on its parameter Param.
type Loops struct {
	Param  int
	Starts bool
	What   string // "ranges over t.C, a ticker's channel that is never closed"
	Where  string // file:line of the loop
}

// AFact marks Loops as an analysis fact.
func (*Loops) AFact() {}

func (f *Loops) String() string {
	verb := "loops"
	if f.Starts {
		verb = "starts a goroutine that loops"
	}
	return fmt.Sprintf("%s (param %d): %s at %s", verb, f.Param, f.What, f.Where)
}

type checker struct {
	pass     *analysis.Pass
	cfgs     *ctrlflow.CFGs
	decls    map[*types.Func]*ast.FuncDecl
	closed   map[types.Object]bool
	params   map[types.Object]bool         // parameters of every function in the package
	uses     map[types.Object][]*ast.Ident // every use of each channel-typed object
	reported map[token.Pos]bool
	loops    map[*types.Func]*Loops // this package's functions with the Loops fact
	lifetime map[*types.Func]bool   // functions that run once for the life of the process
	enclosed map[*ast.GoStmt]*types.Func
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
		loops:    map[*types.Func]*Loops{},
		enclosed: map[*ast.GoStmt]*types.Func{},
	}
	var gos []*ast.GoStmt
	var calls []*ast.CallExpr // calls outside go statements, for helpers that start loops
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
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn, _ := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					c.enclosed[n] = fn
					for _, a := range n.Call.Args {
						ast.Inspect(a, func(m ast.Node) bool {
							if call, ok := m.(*ast.CallExpr); ok {
								calls = append(calls, call)
							}
							return true
						})
					}
					if _, lit := ast.Unparen(n.Call.Fun).(*ast.FuncLit); !lit {
						return false
					}
				case *ast.CallExpr:
					calls = append(calls, n)
				}
				return true
			})
		}
	}
	if !funcs.Std(pass) {
		c.facts()
	}
	c.lifetime = processLifetime(pass)
	for _, g := range gos {
		if fn := c.enclosed[g]; fn != nil && (c.lifetime[fn] || starter(fn.Name()) && !c.inLoop(g)) {
			continue // started once, lives as long as the process: nothing to stop
		}
		c.goroutine(g)
	}
	for _, call := range calls {
		c.startsVia(call)
	}
	return nil, nil
}

// facts computes Loops for this package's declared functions, and exports it (other packages
// than main).
func (c *checker) facts() {
	type fn struct {
		obj  *types.Func
		decl *ast.FuncDecl
	}
	var fns []fn
	for obj, decl := range c.decls {
		if !strings.HasSuffix(c.pass.Fset.File(decl.Pos()).Name(), "_test.go") {
			fns = append(fns, fn{obj, decl})
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].decl.Pos() < fns[j].decl.Pos() })
	for _, f := range fns {
		if l := c.ownLoop(f.decl); l != nil {
			c.loops[f.obj] = l
		}
	}
	for round := 0; round < 3; round++ {
		for _, f := range fns {
			if c.loops[f.obj] != nil {
				continue
			}
			if l := c.viaHelper(f.decl); l != nil {
				c.loops[f.obj] = l
			}
		}
	}
	if c.pass.Pkg.Name() == "main" {
		return
	}
	for _, f := range fns {
		if l := c.loops[f.obj]; l != nil {
			c.pass.ExportObjectFact(f.obj, l)
		}
	}
}

// paramIndex returns the index of e among decl's parameters, or -1.
func (c *checker) paramIndex(decl *ast.FuncDecl, e ast.Expr) int {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return -1
	}
	obj := c.pass.TypesInfo.ObjectOf(id)
	i := 0
	for _, field := range decl.Type.Params.List {
		for _, name := range field.Names {
			if c.pass.TypesInfo.Defs[name] == obj {
				return i
			}
			i++
		}
		if len(field.Names) == 0 {
			i++
		}
	}
	return -1
}

// ownLoop returns the Loops fact for a loop with no exit in decl's own body (not in literals or
// goroutines): over a ticker, forever receiving, or over a channel parameter.
func (c *checker) ownLoop(decl *ast.FuncDecl) *Loops {
	var found *Loops
	ast.Inspect(decl.Body, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch loop := n.(type) {
		case *ast.FuncLit, *ast.GoStmt:
			return false
		case *ast.RangeStmt:
			if t := c.pass.TypesInfo.TypeOf(loop.X); t == nil {
				return true
			} else if _, isChan := t.Underlying().(*types.Chan); !isChan || c.hasExit(loop, loop.Body) {
				return true
			}
			if c.tickerChan(loop.X) {
				found = &Loops{Param: -1, What: fmt.Sprintf("ranges over %s, a ticker's channel that is never closed", render(loop.X))}
			} else if i := c.paramIndex(decl, loop.X); i >= 0 {
				found = &Loops{Param: i, What: fmt.Sprintf("ranges over its parameter %s", render(loop.X))}
			}
			if found != nil {
				found.Where = c.where(loop.Pos())
			}
		case *ast.ForStmt:
			if recv := c.endlessReceive(loop); recv != "" {
				found = &Loops{Param: -1, What: "loops forever receiving from " + recv, Where: c.where(loop.Pos())}
			}
		}
		return true
	})
	return found
}

// viaHelper returns the Loops fact decl gets from what it calls outside literals (a helper that
// loops, on decl's parameter or on nothing) and from the goroutines it starts on its parameters.
func (c *checker) viaHelper(decl *ast.FuncDecl) *Loops {
	var found *Loops
	ast.Inspect(decl.Body, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.GoStmt:
			if lit, ok := ast.Unparen(n.Call.Fun).(*ast.FuncLit); ok {
				// go func() { for v := range param {} }(): a goroutine looping on a parameter.
				ast.Inspect(lit.Body, func(m ast.Node) bool {
					if r, ok := m.(*ast.RangeStmt); ok && found == nil && !c.hasExit(r, r.Body) {
						if i := c.paramIndex(decl, r.X); i >= 0 {
							if _, isChan := c.pass.TypesInfo.TypeOf(r.X).Underlying().(*types.Chan); isChan {
								found = &Loops{Param: i, Starts: true, What: fmt.Sprintf("ranges over %s", render(r.X)), Where: c.where(r.Pos())}
							}
						}
					}
					_, lit := m.(*ast.FuncLit)
					return !lit
				})
				return false
			}
			if l := c.factOf(n.Call); l != nil && !l.Starts && l.Param >= 0 && l.Param < len(n.Call.Args) {
				if i := c.paramIndex(decl, n.Call.Args[l.Param]); i >= 0 {
					found = &Loops{Param: i, Starts: true, What: l.What, Where: l.Where}
				}
			}
			return false
		case *ast.CallExpr:
			l := c.factOf(n)
			if l == nil {
				return true
			}
			switch {
			case l.Param < 0 && !l.Starts:
				found = &Loops{Param: -1, What: l.What, Where: l.Where}
			case l.Param >= 0 && l.Param < len(n.Args):
				if i := c.paramIndex(decl, n.Args[l.Param]); i >= 0 {
					found = &Loops{Param: i, Starts: l.Starts, What: l.What, Where: l.Where}
				}
			}
		}
		return true
	})
	return found
}

// factOf returns the Loops fact of the function call invokes, from this package or another.
func (c *checker) factOf(call *ast.CallExpr) *Loops {
	fn := callee.Func(c.pass.TypesInfo, call)
	if fn == nil {
		return nil
	}
	if l := c.loops[fn]; l != nil {
		return l
	}
	var l Loops
	if fn.Pkg() != c.pass.Pkg && c.pass.ImportObjectFact(fn, &l) {
		return &l
	}
	return nil
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
	if !c.tickerChan(arg) && !c.unclosed(arg, nil) {
		return
	}
	fn := callee.Func(c.pass.TypesInfo, call)
	c.report(call, fmt.Sprintf("%s starts a goroutine that %s (%s) and has no other exit, and nothing in this package closes %s: it leaks at shutdown; give the goroutine a ctx.Done() case, or close %s when its senders stop",
		fn.Name(), l.What, l.Where, render(arg), render(arg)))
}

// signalChan reports whether ch carries os.Signal values.
func signalChan(ch *types.Chan) bool {
	named, ok := types.Unalias(ch.Elem()).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "os" && named.Obj().Name() == "Signal"
}

// starter reports whether a function's name says it builds or starts a component: New..,
// Create.., Start.., Run.., Init.., Setup.., Serve.., Listen.., Open.., Register.., Load..,
// Main, Execute. In a program such a function runs once per component, and components live as
// long as the process; a goroutine it starts once dies with the process.
func starter(name string) bool {
	lower := strings.ToLower(name)
	for _, p := range []string{"new", "create", "start", "run", "init", "setup", "serve", "listen", "open", "register", "load", "main", "execute"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// inLoop reports whether the go statement is inside a loop of its function (started many times).
func (c *checker) inLoop(g *ast.GoStmt) bool {
	path := enclosing(c.pass.Files, g)
	for i := len(path) - 2; i >= 0; i-- {
		switch path[i].(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return true
		case *ast.FuncDecl, *ast.FuncLit:
			return false
		}
	}
	return false
}

// enclosingFunc returns the declared function whose body contains n.
func (c *checker) enclosingFunc(n ast.Node) *types.Func {
	for fn, decl := range c.decls {
		if decl.Body.Pos() <= n.Pos() && n.End() <= decl.Body.End() {
			return fn
		}
	}
	return nil
}

// unclosed reports whether e is a variable or field of this package that nothing closes and that
// is not handed to other code (besides the go statement g, when not nil).
func (c *checker) unclosed(e ast.Expr, g *ast.GoStmt) bool {
	v, ok := callee.ObjectOf(c.pass.TypesInfo, e).(*types.Var)
	if !ok || v.Pkg() != c.pass.Pkg || c.params[v] || v.Exported() || c.closed[v] {
		return false
	}
	for _, id := range c.uses[v] {
		if !c.harmlessUse(id, g) && !c.helperArg(id) {
			return false
		}
	}
	return true
}

// helperArg reports whether id is passed to a function with the Loops fact on that parameter:
// it only receives from it.
func (c *checker) helperArg(id *ast.Ident) bool {
	path := enclosing(c.pass.Files, id)
	if len(path) < 2 {
		return false
	}
	call, ok := path[len(path)-2].(*ast.CallExpr)
	if !ok {
		return false
	}
	l := c.factOf(call)
	return l != nil && l.Param >= 0 && l.Param < len(call.Args) && call.Args[l.Param] == ast.Expr(id)
}

func (c *checker) where(pos token.Pos) string {
	p := c.pass.Fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// processLifetime returns the functions of a command (package main, or a package under a cmd or
// cli directory) that run once for the life of the process: main, init, the exported functions
// of a command package (the entry points its main calls), and functions called only from those,
// outside loops and function literals. Goroutines they start live as long as the process.
func processLifetime(pass *analysis.Pass) map[*types.Func]bool {
	life := map[*types.Func]bool{}
	command := pass.Pkg.Name() == "main"
	for _, elem := range strings.Split(pass.Pkg.Path(), "/") {
		command = command || elem == "cmd" || elem == "cli"
	}
	info := pass.TypesInfo
	decls := map[*types.Func]*ast.FuncDecl{}
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn, _ := info.Defs[fd.Name].(*types.Func)
			if fn == nil {
				continue
			}
			decls[fn] = fd
			switch {
			case fd.Recv == nil && fd.Name.Name == "init":
				life[fn] = true
			case !command:
			case fd.Recv == nil && (fd.Name.Name == "main" && pass.Pkg.Name() == "main" || pass.Pkg.Name() != "main" && fd.Name.IsExported()):
				life[fn] = true
			}
		}
	}
	if !command {
		return life
	}
	// callers[f] lists where f is used: the enclosing function, and whether the use is a plain
	// call outside loops and literals.
	type use struct {
		in   *types.Func
		once bool
	}
	uses := map[*types.Func][]use{}
	for in, fd := range decls {
		var stack []ast.Node
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			if id, ok := n.(*ast.Ident); ok {
				if fn, ok := info.Uses[id].(*types.Func); ok && decls[fn] != nil {
					once := true
					for i := len(stack) - 1; i >= 0; i-- {
						switch stack[i].(type) {
						case *ast.ForStmt, *ast.RangeStmt, *ast.FuncLit:
							once = false
						}
					}
					parent := stack[len(stack)-1]
					if sel, ok := parent.(*ast.SelectorExpr); ok && sel.Sel == id && len(stack) >= 2 {
						parent = stack[len(stack)-2]
					}
					if call, ok := parent.(*ast.CallExpr); !ok || ast.Unparen(call.Fun) != id && !isSelOf(call.Fun, id) {
						once = false // used as a value: may run any number of times
					}
					uses[fn] = append(uses[fn], use{in, once})
				}
			}
			stack = append(stack, n)
			return true
		})
	}
	for changed := true; changed; {
		changed = false
		for fn := range decls {
			if life[fn] || len(uses[fn]) == 0 {
				continue
			}
			all := true
			for _, u := range uses[fn] {
				all = all && u.once && life[u.in] && u.in != fn
			}
			if all && len(uses[fn]) == 1 {
				life[fn] = true
				changed = true
			}
		}
	}
	return life
}

func isSelOf(e ast.Expr, id *ast.Ident) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	return ok && sel.Sel == id
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
	if c.tickerChan(arg) || c.unclosed(arg, g) {
		c.report(call, fmt.Sprintf("goroutine runs %s, which %s (%s) with no other exit, and nothing in this package closes %s: it leaks at shutdown; select on ctx.Done() alongside the receive, or close %s when its senders stop",
			fn.Name(), l.What, l.Where, render(arg), render(arg)))
	}
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
	if ch, isChan := t.Underlying().(*types.Chan); !isChan || c.hasExit(loop, loop.Body) || signalChan(ch) {
		return // a loop over os.Signal values is the process's signal handler, as long-lived as it
	}
	name := render(loop.X)
	if c.tickerChan(loop.X) {
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

func (c *checker) report(n ast.Node, msg string) {
	if c.reported[n.Pos()] {
		return
	}
	c.reported[n.Pos()] = true
	end := n.End()
	switch n.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
		end = n.Pos() + token.Pos(len("for"))
	}
	c.pass.Report(analysis.Diagnostic{Pos: n.Pos(), End: end, Message: msg})
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
			if g != nil && p == g.Call {
				return true
			}
			if fn := callee.Func(info, p); g != nil && fn != nil && fn == callee.Func(info, g.Call) {
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
