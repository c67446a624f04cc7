package chanloop

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
)

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
