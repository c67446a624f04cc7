// Package chanloop defines an Analyzer that reports goroutines whose loop over a channel has no
// way out at shutdown: `for v := range ch` over a channel that is never closed, or
// `for { <-ch }` with no ctx.Done() case and no return or break.
package chanloop

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
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
var Analyzer = analyzer.New("chanloop", doc, analyzer.ControlFlow, run, new(Loops))

type checker struct {
	pass     *analysis.Pass
	noReturn func(*ast.CallExpr) bool // panic, os.Exit, log.Fatal and what always calls them
	declared []funcs.Decl
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
		noReturn: flow.NoReturn(pass.TypesInfo, analyzer.CFGs(pass)),
		declared: funcs.Declared(pass),
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
	for _, d := range c.declared {
		c.decls[d.Obj] = d.Decl
		ast.Inspect(d.Decl.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				c.enclosed[n] = d.Obj
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
	if !funcs.Std(pass) {
		c.facts()
	}
	c.lifetime = processLifetime(pass, c.declared)
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
