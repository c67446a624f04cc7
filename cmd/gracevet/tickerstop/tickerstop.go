// Package tickerstop defines an Analyzer that reports a time.NewTicker held in a local variable
// that is not stopped on every path out of the function.
package tickerstop

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"go/version"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/flow"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

const doc = `report tickers that are not stopped on every path

t := time.NewTicker(d) (or var t = ..., or t = ...) in a function, with t used only as t.C,
t.Stop() and t.Reset(d), is reported when some path returns from the function without passing a
t.Stop() (a defer t.Stop() covers every later path). A ticker handed elsewhere (returned, stored,
passed to a call) is not reported: its new owner stops it. Paths that end in os.Exit, log.Fatal or
panic, and endless loops (for range t.C) are not returns. Where the ticker is created at the top
level of the function, a suggested fix adds defer t.Stop() after it.
Code built with Go 1.23 or later (the module's go line, or a //go:build go1.23 file) is not
checked: since 1.23 a ticker nothing refers to is garbage collected without Stop.`

// Analyzer reports tickers not stopped on every path.
var Analyzer = analyzer.New("tickerstop", doc, analyzer.ControlFlow, run)

func run(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	cfgs := analyzer.CFGs(pass)
	for _, fn := range funcs.All(pass) {
		if collected(pass, fn.Body.Pos()) {
			continue
		}
		funcs.Walk(fn.Body, func(n ast.Node, parents []ast.Node) {
			call, ok := n.(*ast.CallExpr)
			if !ok || !callee.IsPkgFunc(info, call, "time", "NewTicker") || len(parents) == 0 {
				return
			}
			v, stmt := assignedVar(info, parents, call)
			if v == nil || escapes(info, fn.Body, v) {
				return
			}
			stops := func(n ast.Node) bool {
				return funcs.Mentions(n, func(m ast.Node) bool {
					c, ok := m.(*ast.CallExpr)
					if !ok || !callee.IsMethod(info, c, "time", "Ticker", "Stop") {
						return false
					}
					sel := ast.Unparen(c.Fun).(*ast.SelectorExpr)
					return callee.ObjectOf(info, sel.X) == v
				})
			}
			pos, leaks := flow.Leak(flow.Query{
				CFG:      fn.CFG,
				Acquire:  call.Pos(),
				Released: stops,
				NoReturn: flow.NoReturn(info, cfgs),
				Endless:  flow.Loops(info, func(x ast.Expr) bool { return flow.TickerChan(info, x) }),
				End:      fn.Body.Rbrace,
			})
			if !leaks {
				return
			}
			where := flow.Exit(pass.Fset, pos, fn.Body.Rbrace)
			d := analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"ticker %s is not stopped on the path that %s: it keeps firing (and its goroutine's work keeps running) after shutdown; defer %s.Stop() after creating it",
				v.Name(), where, v.Name())}
			if stmt != nil && topLevel(fn.Body, stmt) {
				d.SuggestedFixes = []analysis.SuggestedFix{{
					Message:   fmt.Sprintf("Add defer %s.Stop()", v.Name()),
					TextEdits: []analysis.TextEdit{{Pos: stmt.End(), End: stmt.End(), NewText: []byte(fmt.Sprintf("\n\tdefer %s.Stop()", v.Name()))}},
				}}
			}
			pass.Report(d)
		})
	}
	return nil, nil
}

// assignedVar returns the local variable the NewTicker call is assigned to, and the statement,
// when the call is the whole right-hand side of a simple assignment or var declaration.
func assignedVar(info *types.Info, parents []ast.Node, call *ast.CallExpr) (*types.Var, ast.Node) {
	switch p := parents[len(parents)-1].(type) {
	case *ast.AssignStmt:
		if len(p.Lhs) == 1 && len(p.Rhs) == 1 && p.Rhs[0] == call {
			if v, ok := callee.ObjectOf(info, p.Lhs[0]).(*types.Var); ok && !v.IsField() && v.Parent() != v.Pkg().Scope() {
				return v, p
			}
		}
	case *ast.ValueSpec:
		if len(p.Names) == 1 && len(p.Values) == 1 && p.Values[0] == call && len(parents) >= 2 {
			if v, ok := info.Defs[p.Names[0]].(*types.Var); ok && v.Parent() != v.Pkg().Scope() {
				return v, parents[len(parents)-2] // the GenDecl's DeclStmt parent is higher; GenDecl is fine for End()
			}
		}
	}
	return nil, nil
}

// escapes reports whether the ticker is used other than as t.C, t.Stop(), t.Reset(d), or as the
// target of an assignment.
func escapes(info *types.Info, body *ast.BlockStmt, v *types.Var) bool {
	esc := false
	ast.Inspect(body, func(n ast.Node) bool {
		if esc {
			return false
		}
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if callee.ObjectOf(info, n.X) == v {
				switch n.Sel.Name {
				case "C", "Stop", "Reset":
					return false
				}
				esc = true
			}
		case *ast.AssignStmt:
			for _, r := range n.Rhs {
				if callee.ObjectOf(info, r) == v {
					esc = true
				}
			}
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && info.ObjectOf(id) == v {
					// t = time.NewTicker(...) or t := ...: a definition, not a use.
					for _, r := range n.Rhs {
						ast.Inspect(r, func(m ast.Node) bool {
							if id, ok := m.(*ast.Ident); ok && info.ObjectOf(id) == v {
								esc = true
							}
							return !esc
						})
					}
					return false
				}
			}
		case *ast.Ident:
			if info.Uses[n] == v {
				esc = true
			}
		}
		return !esc
	})
	return esc
}

func topLevel(body *ast.BlockStmt, stmt ast.Node) bool {
	for _, s := range body.List {
		if s == stmt {
			return true
		}
		if ds, ok := s.(*ast.DeclStmt); ok && ds.Decl == stmt {
			return true
		}
	}
	return false
}

// collected reports whether the file at pos is built with Go 1.23 or later (its module's go
// line, or a //go:build go1.23 constraint): from then on a ticker nothing refers to any more is
// garbage collected without Stop, so a local ticker left unstopped when its function returns
// changes nothing.
func collected(pass *analysis.Pass, pos token.Pos) bool {
	for _, f := range pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			v := pass.TypesInfo.FileVersions[f]
			return v != "" && version.Compare(v, "go1.23") >= 0
		}
	}
	return false
}
