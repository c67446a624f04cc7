// Package ctxtwin defines an Analyzer that reports blocking calls in HTTP handlers that have a
// context-taking twin (db.QueryRow and db.QueryRowContext, http.NewRequest and
// http.NewRequestWithContext, ...) while the request's context is at hand.
//
// http.Server.Shutdown waits for running handlers and never cancels them, and a handler's
// request context is canceled when the client goes away or the server gives up on it; a call
// that ignores that context keeps the handler, and so the shutdown, waiting.
package ctxtwin

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
	"github.com/gracekit/grace/cmd/gracevet/internal/handler"
)

const doc = `report blocking calls in HTTP handlers that ignore the request context

In a function with the http.HandlerFunc shape, or a ServeHTTP method, a call to an API that has
a context-taking twin is reported: a method or function M when M+"Context" or M+"WithContext"
exists with a context.Context first and otherwise the same signature (database/sql's Query,
QueryRow, Exec, Prepare, Ping; exec.Command; http.NewRequest), and the well-known ones whose twin
has another shape (DB.Begin, net.Dial, net.Lookup*, http.Get/Head/Post/PostForm). Where the twin
has the same arguments, a suggested fix passes the handler's ctx variable, or r.Context().
Calls in function literals (goroutines, callbacks) are not reported: they do not run on the
request's schedule.
Handlers: net/http shapes, gin, echo, Fiber, connect-go and gRPC unary methods. Across calls
(facts, any package): a handler's call of a helper that makes such a call, directly or one call
down, where the helper had a context or the request at hand, or the call is outbound (net/http,
net, os/exec); reported once per helper and package. Not reported: database/sql in packages
importing a SQLite driver, net.DialTimeout (bounded), programs that never drain (package main
or a package building its own http.Server, with no Shutdown/GracefulStop and no grace import).`

// Analyzer reports context-less blocking calls in HTTP handlers.
var Analyzer = &analysis.Analyzer{
	Name:      "ctxtwin",
	Doc:       doc,
	URL:       "https://github.com/gracekit/grace/tree/main/cmd/gracevet#ctxtwin",
	Run:       run,
	FactTypes: []analysis.Fact{new(DropsContext)},
}

func run(pass *analysis.Pass) (any, error) {
	exportFacts(pass)
	if handler.NeverDrains(pass) {
		return nil, nil
	}
	sites := &helperSites{count: map[*types.Func]int{}}
	for _, h := range handler.Find(pass) {
		if h.Request == nil {
			continue // no request context at hand
		}
		handler.Inspect(h.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if fn := callee.Func(pass.TypesInfo, call); fn != nil {
				check(pass, h, call, fn, sites)
			}
			return true
		})
	}
	sites.report(pass)
	return nil, nil
}

// helperSites gathers the handler calls of helpers that drop the context: the fix is in the
// helper, so each helper is reported once, at its first call, with the number of calls.
type helperSites struct {
	first []analysis.Diagnostic
	fns   []*types.Func
	count map[*types.Func]int
}

func (s *helperSites) add(fn *types.Func, d analysis.Diagnostic) {
	if s.count[fn] == 0 {
		s.first = append(s.first, d)
		s.fns = append(s.fns, fn)
	}
	s.count[fn]++
}

func (s *helperSites) report(pass *analysis.Pass) {
	for i, d := range s.first {
		if n := s.count[s.fns[i]] - 1; n > 0 {
			d.Message += fmt.Sprintf(" (%d more handler calls of %s in this package)", n, s.fns[i].Name())
		}
		pass.Report(d)
	}
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
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if _, _, isHandler := handler.Shape(info, fd.Recv, fd.Type); isHandler {
				continue
			}
			if obj, _ := info.Defs[fd.Name].(*types.Func); obj != nil {
				fns = append(fns, fn{obj, fd.Body, hasContext(info, fd.Type)})
			}
		}
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
				raw[f.obj] = rawDrop{&DropsContext{What: describe(c), Where: where(pass, call.Pos())}, f.hasCtx, outbound(c)}
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

func check(pass *analysis.Pass, h handler.Handler, call *ast.CallExpr, fn *types.Func, sites *helperSites) {
	if localDB(pass, fn) {
		return
	}
	ctx := handler.ContextExpr(pass, h, call.Pos())
	sel, isSel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !isSel {
		helper(pass, h, call, fn, ctx, sites) // a dot-imported or same-package function: no twin table for it
		return
	}
	name := describe(fn)
	if msg, fix := special(pass, call, sel, fn, ctx); msg != "" {
		d := analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf("%s in %s ignores the request context, so Shutdown waits for it: %s", name, handler.Describe(h.Kind), msg)}
		if fix != nil {
			d.SuggestedFixes = []analysis.SuggestedFix{*fix}
		}
		pass.Report(d)
		return
	}
	twin := twinOf(fn)
	if twin == "" || logging(fn) {
		helper(pass, h, call, fn, ctx, sites)
		return
	}
	pass.Report(analysis.Diagnostic{
		Pos:     call.Pos(),
		End:     call.End(),
		Message: fmt.Sprintf("%s in %s ignores the request context, so Shutdown waits for it: use %s(%s, ...)", name, handler.Describe(h.Kind), twin, ctx),
		SuggestedFixes: []analysis.SuggestedFix{{
			Message:   fmt.Sprintf("Call %s with %s", twin, ctx),
			TextEdits: append([]analysis.TextEdit{{Pos: sel.Sel.Pos(), End: sel.Sel.End(), NewText: []byte(twin)}}, ctxArg(call, ctx)),
		}},
	})
}

// helper reports a call of a function with the DropsContext fact.
func helper(pass *analysis.Pass, h handler.Handler, call *ast.CallExpr, fn *types.Func, ctx string, sites *helperSites) {
	var fact DropsContext
	if !pass.ImportObjectFact(fn, &fact) {
		return
	}
	via := ""
	if fact.Via != "" {
		via = " through " + fact.Via
	}
	sites.add(fn, analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
		"%s in %s drops the request context: it runs %s (%s%s) without one, so Shutdown waits for it; give %s the context (%s) and use the call's context-taking form",
		fn.Name(), handler.Describe(h.Kind), fact.What, fact.Where, via, fn.Name(), ctx)})
}

// where renders a position as file:line with the file's base name.
func where(pass *analysis.Pass, pos token.Pos) string {
	p := pass.Fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// ctxArg inserts ctx as the call's first argument.
func ctxArg(call *ast.CallExpr, ctx string) analysis.TextEdit {
	text := ctx
	if len(call.Args) > 0 {
		text += ", "
	}
	return analysis.TextEdit{Pos: call.Lparen + 1, End: call.Lparen + 1, NewText: []byte(text)}
}

// twinOf returns the name of fn's context-taking twin: a sibling method (or package function)
// named fn+"Context" or fn+"WithContext" whose parameters are a context.Context followed by
// exactly fn's parameters, with the same results.
func twinOf(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	for _, suffix := range []string{"Context", "WithContext"} {
		name := fn.Name() + suffix
		var twin *types.Func
		if recv := sig.Recv(); recv != nil {
			obj, _, _ := types.LookupFieldOrMethod(recv.Type(), true, fn.Pkg(), name)
			twin, _ = obj.(*types.Func)
		} else if fn.Pkg() != nil {
			twin, _ = fn.Pkg().Scope().Lookup(name).(*types.Func)
		}
		if twin != nil && takesContextThen(twin.Type().(*types.Signature), sig) {
			return name
		}
	}
	return ""
}

// logging reports whether fn is a logging call (slog's Info and InfoContext, and the like in
// other loggers): its Context twin only feeds values to the log handler; it does not block.
func logging(fn *types.Func) bool {
	if fn.Pkg() != nil && fn.Pkg().Path() == "log/slog" {
		return true
	}
	switch fn.Name() {
	case "Debug", "Info", "Warn", "Warning", "Error", "Log", "Print", "Printf", "Trace":
		return true
	}
	return false
}

// takesContextThen reports whether twin is func(context.Context, <sig's params>) <sig's results>.
func takesContextThen(twin, sig *types.Signature) bool {
	tp, sp := twin.Params(), sig.Params()
	if tp.Len() != sp.Len()+1 || !callee.IsContext(tp.At(0).Type()) || twin.Variadic() != sig.Variadic() {
		return false
	}
	for i := 0; i < sp.Len(); i++ {
		if !types.Identical(tp.At(i+1).Type(), sp.At(i).Type()) {
			return false
		}
	}
	return types.Identical(twin.Results(), sig.Results())
}

// special handles the well-known calls whose twin differs in shape. It returns the advice, and a
// fix where one is mechanical.
func special(pass *analysis.Pass, call *ast.CallExpr, sel *ast.SelectorExpr, fn *types.Func, ctx string) (string, *analysis.SuggestedFix) {
	info := pass.TypesInfo
	switch {
	case callee.IsPkgFunc(info, call, "net/http", "Get", "Head", "Post", "PostForm"),
		callee.IsMethod(info, call, "net/http", "Client", "Get", "Head", "Post", "PostForm"):
		return fmt.Sprintf("build the request with http.NewRequestWithContext(%s, ...) and send it with Client.Do", ctx), nil
	case callee.IsMethod(info, call, "database/sql", "DB", "Begin"):
		return fmt.Sprintf("use BeginTx(%s, nil)", ctx), &analysis.SuggestedFix{
			Message: fmt.Sprintf("Call BeginTx with %s", ctx),
			TextEdits: []analysis.TextEdit{
				{Pos: sel.Sel.Pos(), End: sel.Sel.End(), NewText: []byte("BeginTx")},
				{Pos: call.Lparen + 1, End: call.Rparen, NewText: []byte(ctx + ", nil")},
			},
		}
	case callee.IsPkgFunc(info, call, "net", "Dial"):
		pkg := render(pass.Fset, sel.X)
		return fmt.Sprintf("use (&%s.Dialer{}).DialContext(%s, ...)", pkg, ctx), &analysis.SuggestedFix{
			Message: fmt.Sprintf("Dial with %s", ctx),
			TextEdits: []analysis.TextEdit{
				{Pos: sel.Pos(), End: sel.End(), NewText: []byte(fmt.Sprintf("(&%s.Dialer{}).DialContext", pkg))},
				ctxArg(call, ctx),
			},
		}
	case fn.Pkg() != nil && fn.Pkg().Path() == "net" && strings.HasPrefix(fn.Name(), "Lookup") && fn.Type().(*types.Signature).Recv() == nil:
		resolver, _ := fn.Pkg().Scope().Lookup("Resolver").(*types.TypeName)
		if resolver == nil {
			return "", nil
		}
		obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(resolver.Type()), true, fn.Pkg(), fn.Name())
		m, _ := obj.(*types.Func)
		if m == nil || !takesContextThen(m.Type().(*types.Signature), fn.Type().(*types.Signature)) {
			return fmt.Sprintf("use net.DefaultResolver's %s method with %s", fn.Name(), ctx), nil
		}
		pkg := render(pass.Fset, sel.X)
		return fmt.Sprintf("use %s.DefaultResolver.%s(%s, ...)", pkg, fn.Name(), ctx), &analysis.SuggestedFix{
			Message: fmt.Sprintf("Resolve with %s", ctx),
			TextEdits: []analysis.TextEdit{
				{Pos: sel.Pos(), End: sel.End(), NewText: []byte(fmt.Sprintf("%s.DefaultResolver.%s", pkg, fn.Name()))},
				ctxArg(call, ctx),
			},
		}
	}
	return "", nil
}

// describe names fn the way a reader finds it: "(*sql.DB).QueryRow", "http.NewRequest".
func describe(fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		if fn.Pkg() == nil {
			return fn.Name()
		}
		return fn.Pkg().Name() + "." + fn.Name()
	}
	return "(" + types.TypeString(sig.Recv().Type(), func(p *types.Package) string { return p.Name() }) + ")." + fn.Name()
}

func render(fset *token.FileSet, e ast.Expr) string {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, e); err != nil {
		return "net"
	}
	return buf.String()
}
