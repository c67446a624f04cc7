package chanloop

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

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

// processLifetime returns the functions of a command (package main, or a package under a cmd or
// cli directory) that run once for the life of the process: main, init, the exported functions
// of a command package (the entry points its main calls), and functions called only from those,
// outside loops and function literals. Goroutines they start live as long as the process.
func processLifetime(pass *analysis.Pass, declared []funcs.Decl) map[*types.Func]bool {
	life := map[*types.Func]bool{}
	command := pass.Pkg.Name() == "main" || funcs.Command(pass.Pkg.Path())
	info := pass.TypesInfo
	decls := map[*types.Func]*ast.FuncDecl{}
	for _, d := range declared {
		if d.Test {
			continue
		}
		fn, fd := d.Obj, d.Decl
		decls[fn] = fd
		switch {
		case fd.Recv == nil && fd.Name.Name == "init":
			life[fn] = true
		case !command:
		case fd.Recv == nil && (fd.Name.Name == "main" && pass.Pkg.Name() == "main" || pass.Pkg.Name() != "main" && fd.Name.IsExported()):
			life[fn] = true
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
