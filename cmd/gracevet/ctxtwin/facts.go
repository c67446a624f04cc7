package ctxtwin

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
	"github.com/gracekit/grace/cmd/gracevet/internal/handler"
)

// DropsContext is the fact that a function makes, directly or one call further down, a
// blocking call that ignores any context (one that ctxtwin reports in a handler).
type DropsContext struct {
	What  string // the call: "(*sql.DB).QueryRow"
	Where string // file:line of the call
	Via   string // the helper the call is in, when it is one call further down; "" if direct
}

// AFact marks DropsContext as an analysis fact.
func (*DropsContext) AFact() {}

func (f *DropsContext) String() string {
	if f.Via != "" {
		return fmt.Sprintf("drops the context: %s at %s via %s", f.What, f.Where, f.Via)
	}
	return fmt.Sprintf("drops the context: %s at %s", f.What, f.Where)
}

// exportFacts records DropsContext for each declared function that is not a handler and makes a
// context-less blocking call outside function literals, or calls a function that does so
// directly (two levels: deeper chains are usually layers that pass a context along somewhere).
func exportFacts(pass *analysis.Pass) {
	if funcs.Std(pass) {
		return
	}
	info := pass.TypesInfo
	type fn struct {
		obj    *types.Func
		body   *ast.BlockStmt
		hasCtx bool
	}
	var fns []fn
	for _, d := range funcs.Declared(pass) {
		if d.Test {
			continue
		}
		if _, _, isHandler := handler.Shape(info, d.Decl.Recv, d.Decl.Type); isHandler {
			continue
		}
		fns = append(fns, fn{d.Obj, d.Decl.Body, hasContext(info, d.Decl.Type)})
	}
	// raw holds every function's own context-less blocking call; which of them become facts
	// is decided below.
	type rawDrop struct {
		fact   *DropsContext
		hasCtx bool
		out    bool
	}
	raw := map[*types.Func]rawDrop{}
	for _, f := range fns {
		handler.Inspect(f.body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || raw[f.obj].out {
				return !raw[f.obj].out
			}
			// The first such call, or the first outbound one after a database call.
			if c := callee.Func(info, call); c != nil && blocking(pass, call, c) && (raw[f.obj].fact == nil || outbound(c)) {
				raw[f.obj] = rawDrop{&DropsContext{What: describe(c), Where: analyzer.Where(pass, call.Pos())}, f.hasCtx, outbound(c)}
			}
			return true
		})
	}
	// A data layer written without contexts is a design, not a slip: a database call counts
	// only where a function had a context (or the request) at hand and dropped it, itself or by
	// calling a helper without it. Outbound network calls and commands, whose duration a remote
	// party or another program decides, count in any helper.
	for _, f := range fns {
		if r := raw[f.obj]; r.fact != nil {
			if r.hasCtx || r.out {
				pass.ExportObjectFact(f.obj, r.fact)
			}
			continue
		}
		var found *DropsContext
		handler.Inspect(f.body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found != nil {
				return found == nil
			}
			c := callee.Func(info, call)
			if c == nil || c == f.obj {
				return true
			}
			var d *DropsContext
			if r := raw[c]; r.fact != nil && (f.hasCtx || r.hasCtx || r.out) {
				d = r.fact
			} else if c.Pkg() != pass.Pkg {
				var imported DropsContext
				if pass.ImportObjectFact(c, &imported) && imported.Via == "" {
					d = &imported
				}
			}
			if d != nil {
				found = &DropsContext{What: d.What, Where: d.Where, Via: c.Name()}
			}
			return true
		})
		if found != nil {
			pass.ExportObjectFact(f.obj, found)
		}
	}
}

// hasContext reports whether a function takes a context.Context or an *http.Request.
func hasContext(info *types.Info, ft *ast.FuncType) bool {
	for _, field := range ft.Params.List {
		if t := info.TypeOf(field.Type); t != nil && (callee.IsContext(t) || handler.IsRequestType(t)) {
			return true
		}
	}
	return false
}

// outbound reports whether fn talks to another machine or program: net/http, net, os/exec.
func outbound(fn *types.Func) bool {
	if fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() {
	case "net/http", "net", "os/exec":
		return true
	}
	return false
}

// blocking reports whether call is one that ctxtwin reports in a handler.
func blocking(pass *analysis.Pass, call *ast.CallExpr, fn *types.Func) bool {
	if localDB(pass, fn) {
		return false
	}
	sel, isSel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !isSel {
		return false
	}
	if msg, _ := special(pass, call, sel, fn, "ctx"); msg != "" {
		return true
	}
	return twinOf(fn) != "" && !logging(fn)
}

// localDB reports a database/sql call in a package that uses SQLite.
func localDB(pass *analysis.Pass, fn *types.Func) bool {
	return fn.Pkg() != nil && fn.Pkg().Path() == "database/sql" && sqlite(pass.Pkg)
}

// sqlite reports whether the package imports a SQLite driver: its database/sql calls work on a
// local file and finish in milliseconds; a context changes nothing at shutdown.
func sqlite(pkg *types.Package) bool {
	for _, imp := range pkg.Imports() {
		switch imp.Path() {
		case "github.com/mattn/go-sqlite3", "modernc.org/sqlite", "github.com/glebarez/go-sqlite",
			"github.com/glebarez/sqlite", "github.com/ncruces/go-sqlite3/driver", "gorm.io/driver/sqlite":
			return true
		}
	}
	return false
}
