package exitafter

import (
	"go/ast"
	"go/token"
)

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
