// Package servererr defines an Analyzer that reports mishandled errors from http.Server's
// ListenAndServe, ListenAndServeTLS, Serve and ServeTLS: treated as fatal with no
// http.ErrServerClosed check, or compared to http.ErrServerClosed without errors.Is.
//
// After Shutdown or Close these methods return http.ErrServerClosed at once, while handlers are
// still draining; a log.Fatal on that error ends the process in the middle of the graceful
// shutdown it was meant to allow.
package servererr

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
)

const doc = `report ListenAndServe/Serve errors treated as fatal or compared without errors.Is

For calls of (*http.Server).ListenAndServe, ListenAndServeTLS, Serve and ServeTLS:
  - log.Fatal(srv.ListenAndServe()) and the like, a fatal call (log.Fatal*, os.Exit, panic, or
    any call that never returns) taking the error directly;
  - if err := srv.ListenAndServe(); err != nil { log.Fatal(err) }, and the same with err
    assigned first: an if on err != nil whose branch ends the process, when the function never
    mentions http.ErrServerClosed;
  - err == http.ErrServerClosed or err != http.ErrServerClosed where err is not straight from a
    serve call (net/http returns the sentinel unwrapped): use errors.Is (a
    suggested fix rewrites it when the file imports errors).
The package-level http.ListenAndServe and http.Serve are not reported: they have no Shutdown,
so they never return ErrServerClosed.`

// Analyzer reports mishandled server errors.
var Analyzer = analyzer.New("servererr", doc, analyzer.ControlFlow, run)

var serveMethods = []string{"ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS"}

func run(pass *analysis.Pass) (any, error) {
	cfgs := analyzer.CFGs(pass)
	info := pass.TypesInfo
	for _, f := range pass.Files {
		errorsName := importName(f, "errors")
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				checkComparison(pass, f, n, errorsName)
			case *ast.CallExpr:
				if fatal(info, cfgs, n) {
					for _, a := range n.Args {
						if call, ok := ast.Unparen(a).(*ast.CallExpr); ok && isServe(info, call) {
							report(pass, call, fmt.Sprintf("%s treats the error of %s as fatal, but it returns http.ErrServerClosed as soon as Shutdown starts, ending the process mid-drain: check !errors.Is(err, http.ErrServerClosed) first", name(info, n), serveName(info, call)))
						}
					}
				}
			case *ast.FuncDecl:
				if n.Body != nil {
					checkBody(pass, cfgs, n.Body)
				}
			case *ast.FuncLit:
				checkBody(pass, cfgs, n.Body)
			}
			return true
		})
	}
	return nil, nil
}

// checkBody finds err := srv.ListenAndServe() (or an if with it in its init) followed by
// if err != nil { fatal }, in a function that never mentions http.ErrServerClosed.
func checkBody(pass *analysis.Pass, cfgs *ctrlflow.CFGs, body *ast.BlockStmt) {
	info := pass.TypesInfo
	if mentionsErrServerClosed(info, body) {
		return
	}
	serveErr := map[types.Object]*ast.CallExpr{}
	inspect(body, func(n ast.Node) {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return
		}
		call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
		if !ok || !isServe(info, call) {
			return
		}
		if obj := callee.ObjectOf(info, as.Lhs[0]); obj != nil {
			serveErr[obj] = call
		}
	})
	if len(serveErr) == 0 {
		return
	}
	inspect(body, func(n ast.Node) {
		is, ok := n.(*ast.IfStmt)
		if !ok {
			return
		}
		b, ok := ast.Unparen(is.Cond).(*ast.BinaryExpr)
		if !ok || b.Op != token.NEQ {
			return
		}
		if nilIdent(b.Y) {
			call := serveErr[callee.ObjectOf(info, b.X)]
			if call != nil && endsProcess(info, cfgs, is.Body) {
				report(pass, call, fmt.Sprintf("the error of %s is treated as fatal, but it is http.ErrServerClosed as soon as Shutdown starts, ending the process mid-drain: test err != nil && !errors.Is(err, http.ErrServerClosed)", serveName(info, call)))
			}
		}
	})
}

// fromServe reports whether e is a variable assigned only from serve calls in the file: net/http
// returns http.ErrServerClosed itself, unwrapped, so comparing it with == works.
func fromServe(info *types.Info, file *ast.File, e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	obj := info.ObjectOf(id)
	if obj == nil {
		return false
	}
	assigned, other := 0, false
	ast.Inspect(file, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || other {
			return !other
		}
		for i, lhs := range as.Lhs {
			if l, ok := lhs.(*ast.Ident); ok && info.ObjectOf(l) == obj {
				if len(as.Rhs) != len(as.Lhs) {
					other = true
					return false
				}
				if call, ok := ast.Unparen(as.Rhs[i]).(*ast.CallExpr); ok && isServe(info, call) {
					assigned++
				} else {
					other = true
				}
			}
		}
		return true
	})
	return assigned > 0 && !other
}

// checkComparison reports err == http.ErrServerClosed and err != http.ErrServerClosed.
func checkComparison(pass *analysis.Pass, file *ast.File, b *ast.BinaryExpr, errorsName string) {
	if b.Op != token.EQL && b.Op != token.NEQ {
		return
	}
	info := pass.TypesInfo
	x, y := b.X, b.Y
	if isErrServerClosed(info, x) {
		x, y = y, x
	}
	if !isErrServerClosed(info, y) || isErrServerClosed(info, x) || fromServe(info, file, x) {
		return
	}
	not := ""
	if b.Op == token.NEQ {
		not = "!"
	}
	d := analysis.Diagnostic{Pos: b.Pos(), End: b.End(), Message: fmt.Sprintf(
		"comparison with http.ErrServerClosed misses a wrapped error: use %serrors.Is(err, http.ErrServerClosed)", not)}
	if errorsName != "" {
		text := fmt.Sprintf("%s%s.Is(%s, %s)", not, errorsName, source(pass, x), source(pass, y))
		d.SuggestedFixes = []analysis.SuggestedFix{{
			Message:   "Use errors.Is",
			TextEdits: []analysis.TextEdit{{Pos: b.Pos(), End: b.End(), NewText: []byte(text)}},
		}}
	}
	pass.Report(d)
}

func report(pass *analysis.Pass, call *ast.CallExpr, msg string) {
	pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: msg})
}

// isServe reports whether call is a serve method of net/http's Server (also when promoted
// through embedding).
func isServe(info *types.Info, call *ast.CallExpr) bool {
	return callee.IsMethod(info, call, "net/http", "Server", serveMethods...)
}

func serveName(info *types.Info, call *ast.CallExpr) string {
	return "(*http.Server)." + callee.Func(info, call).Name()
}

func isErrServerClosed(info *types.Info, e ast.Expr) bool {
	v, ok := callee.ObjectOf(info, e).(*types.Var)
	return ok && v.Pkg() != nil && v.Pkg().Path() == "net/http" && v.Name() == "ErrServerClosed"
}

func mentionsErrServerClosed(info *types.Info, body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && isErrServerClosed(info, e) {
			found = true
		}
		return !found
	})
	return found
}

// fatal reports whether call ends the process: os.Exit, log.Fatal*, panic, or a call the
// control-flow facts show never returns.
func fatal(info *types.Info, cfgs *ctrlflow.CFGs, call *ast.CallExpr) bool {
	if callee.IsBuiltin(info, call, "panic") {
		return true
	}
	fn := callee.Func(info, call)
	return fn != nil && (cfgs.NoReturn(fn) || callee.IsPkgFunc(info, call, "log", "Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln") ||
		strings.HasPrefix(fn.Name(), "Fatal") && callee.IsMethod(info, call, "log", "Logger", fn.Name()))
}

func name(info *types.Info, call *ast.CallExpr) string {
	if fn := callee.Func(info, call); fn != nil {
		if fn.Pkg() != nil && fn.Type().(*types.Signature).Recv() == nil {
			return fn.Pkg().Name() + "." + fn.Name()
		}
		return fn.Name()
	}
	return "panic"
}

// endsProcess reports whether a block's last statement is a fatal call.
func endsProcess(info *types.Info, cfgs *ctrlflow.CFGs, b *ast.BlockStmt) bool {
	if len(b.List) == 0 {
		return false
	}
	es, ok := b.List[len(b.List)-1].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := ast.Unparen(es.X).(*ast.CallExpr)
	return ok && fatal(info, cfgs, call)
}

func nilIdent(e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == "nil"
}

// inspect visits body without entering nested function literals (they are checked on their own).
func inspect(body *ast.BlockStmt, f func(ast.Node)) {
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		f(n)
		return true
	})
}

func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) != path {
			continue
		}
		if imp.Name == nil {
			return path
		}
		if imp.Name.Name == "_" || imp.Name.Name == "." {
			return ""
		}
		return imp.Name.Name
	}
	return ""
}

func source(pass *analysis.Pass, e ast.Expr) string {
	start, end := pass.Fset.Position(e.Pos()), pass.Fset.Position(e.End())
	file := pass.Fset.File(e.Pos())
	if file == nil {
		return "err"
	}
	content, err := pass.ReadFile(file.Name())
	if err != nil || end.Offset > len(content) {
		return "err"
	}
	return string(content[start.Offset:end.Offset])
}
