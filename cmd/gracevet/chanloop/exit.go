package chanloop

import (
	"go/ast"
	"go/token"
)

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
