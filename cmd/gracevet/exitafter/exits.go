package exitafter

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/named"
)

// receivesSignal reports whether body (not nested literals) receives from, or ranges over, a
// channel of os.Signal.
func receivesSignal(info *types.Info, body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		var ch ast.Expr
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				ch = n.X
			}
		case *ast.RangeStmt:
			ch = n.X
		}
		if ch != nil {
			if c, ok := info.TypeOf(ch).Underlying().(*types.Chan); ok {
				if named.Is(c.Elem(), "os", "Signal") {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// exitName names call if it ends the process: os.Exit, log.Fatal*, (*log.Logger).Fatal*, or a
// function or method named like fatal/exit/die that the control-flow facts show never returns.
func exitName(info *types.Info, cfgs *ctrlflow.CFGs, call *ast.CallExpr) string {
	fn := callee.Func(info, call)
	if fn == nil {
		return ""
	}
	switch {
	case callee.IsPkgFunc(info, call, "os", "Exit"):
		return "os.Exit"
	case callee.IsPkgFunc(info, call, "log", "Fatal", "Fatalf", "Fatalln"):
		return "log." + fn.Name()
	case callee.IsMethod(info, call, "log", "Logger", "Fatal", "Fatalf", "Fatalln"):
		return "(*log.Logger)." + fn.Name()
	case fn.Pkg() != nil && fn.Pkg().Path() == "testing":
		return "" // t.Fatal ends the goroutine with runtime.Goexit, which runs deferred calls
	case exitLike(fn.Name()) && cfgs.NoReturn(fn):
		return describe(fn)
	}
	return ""
}

// isShutdown reports whether call is x.Shutdown(ctx, ...) or x.GracefulStop().
func isShutdown(info *types.Info, call *ast.CallExpr) bool {
	fn := callee.Func(info, call)
	if fn == nil {
		return false
	}
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return false
	}
	switch fn.Name() {
	case "Shutdown":
		return sig.Params().Len() >= 1 && callee.IsContext(sig.Params().At(0).Type())
	case "GracefulStop":
		return sig.Params().Len() == 0
	}
	return false
}

// exitLike reports whether a never-returning function's name says it exits rather than panics:
// Fatalf, fatal, Exitf, printErrorAndExit, die.
func exitLike(name string) bool {
	lower := strings.ToLower(name)
	return strings.Contains(lower, "fatal") || strings.Contains(lower, "exit") || strings.HasPrefix(lower, "die")
}

// describe names a package function as pkg.Name and a method as Type.Name.
func describe(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return fn.Pkg().Name() + "." + fn.Name()
	}
	if obj := named.Of(named.Deref(sig.Recv().Type())); obj != nil {
		return "(" + fn.Pkg().Name() + "." + obj.Name() + ")." + fn.Name()
	}
	return fn.Name()
}
