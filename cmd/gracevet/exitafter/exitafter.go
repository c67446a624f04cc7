// Package exitafter defines an Analyzer that reports process exits that skip shutdown work:
// os.Exit or log.Fatal with deferred calls pending, os.Exit right after a server's Shutdown, and
// os.Exit in library code.
package exitafter

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

const doc = `report process exits that skip shutdown work

os.Exit, log.Fatal* and other functions named like fatal/exit/die that never return end the process at once:
deferred calls do not run, goroutines are abandoned. Reported, one diagnostic per exit:
  - an exit with a deferred call pending in the same function (a defer earlier in an enclosing
    block); defers that do not matter at exit are ignored: context cancel funcs, mutex unlocks,
    WaitGroup.Done, Ticker/Timer.Stop, signal.Stop, and Close of what the kernel closes anyway
    (*os.File, net and database/sql handles, response bodies, sql.Tx.Rollback);
  - an exit after a Shutdown(ctx) or GracefulStop() call in the same function, outside the
    branch that handles that call's error: return from main instead;
  - os.Exit in a package other than main, except command code (a cmd or cli path element),
    TestMain, func Main (an entry point a main calls), generated files and signal handlers
    (a forced exit on a second signal).
Also reported: after Shutdown, a call of a helper that can exit (facts, any package). Defers of
functions whose body only does what does not matter at exit (a Close that only closes a
database handle; facts, any package) are ignored, and so is os.Exit in the program's own exit
helper (a function named like fatal/exit/die, or a package-level func literal hook).`

// Analyzer reports exits that skip shutdown work.
var Analyzer = &analysis.Analyzer{
	Name:      "exitafter",
	Doc:       doc,
	URL:       "https://github.com/gracekit/grace/tree/main/cmd/gracevet#exitafter",
	Requires:  []*analysis.Analyzer{ctrlflow.Analyzer},
	Run:       run,
	FactTypes: []analysis.Fact{new(MayExit), new(Harmless)},
}

// MayExit is the fact that a function can end the process: it calls os.Exit, log.Fatal* or a
// never-returning exit helper outside function literals, directly or through one helper with
// this fact. exitafter reports calls of such functions after Shutdown.
type MayExit struct {
	What  string // the exit call: "log.Fatal"
	Where string // file:line of the exit call
}

// AFact marks MayExit as an analysis fact.
func (*MayExit) AFact() {}

func (f *MayExit) String() string { return fmt.Sprintf("may exit: %s at %s", f.What, f.Where) }

// Harmless is the fact that a function only does what does not matter when the process ends
// (a Close method that only closes a database handle): a deferred call of it that an exit skips
// is not reported.
type Harmless struct{}

// AFact marks Harmless as an analysis fact.
func (*Harmless) AFact() {}

func (*Harmless) String() string { return "harmless at exit" }

// pkgState is what run learns about the package before checking it.
type pkgState struct {
	mayExit map[types.Object]*MayExit // functions of this package that can end the process
}

// exits returns how fn can end the process, or nil.
func (s *pkgState) exits(pass *analysis.Pass, fn *types.Func) *MayExit {
	if f := s.mayExit[fn]; f != nil {
		return f
	}
	var f MayExit
	if fn.Pkg() != pass.Pkg && pass.ImportObjectFact(fn, &f) {
		return &f
	}
	return nil
}

type event struct {
	node  ast.Node
	block ast.Node   // innermost enclosing block (BlockStmt, CaseClause, CommClause)
	path  []ast.Node // ancestors within the function, outermost first
}

func run(pass *analysis.Pass) (any, error) {
	cfgs := pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs)
	state := &pkgState{}
	if !funcs.Std(pass) {
		exportFacts(pass, cfgs, state)
	}
	for _, f := range pass.Files {
		isTest := strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go")
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			// os.Exit in library code is reported except in command code (packages under a
			// cmd or cli directory), TestMain, an entry point that a main calls (func Main),
			// and generated code.
			// A program's own exit helper (func Fatal, exitWithError, die) is where it exits on
			// purpose; its callers are checked instead.
			library := pass.Pkg.Name() != "main" && !command(pass.Pkg.Path()) && !isTest && !ast.IsGenerated(f) &&
				fd.Name.Name != "TestMain" && fd.Name.Name != "Main" && !exitLike(fd.Name.Name)
			checkFunc(pass, state, cfgs, fd.Body, library)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok {
					checkFunc(pass, state, cfgs, lit.Body, library)
				}
				return true
			})
		}
		// Function literals outside functions (var exit = func(code int) { os.Exit(code) })
		// are exit hooks kept replaceable for tests: only pending defers are checked in them.
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok {
				ast.Inspect(gd, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok {
						checkFunc(pass, state, cfgs, lit.Body, false)
						return false
					}
					return true
				})
			}
		}
	}
	return nil, nil
}

// checkFunc checks one function body, not entering nested function literals.
func checkFunc(pass *analysis.Pass, state *pkgState, cfgs *ctrlflow.CFGs, body *ast.BlockStmt, library bool) {
	info := pass.TypesInfo
	var defers, shutdowns, exits, mayExits []event
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		stack = append(stack, n)
		ev := func() event {
			path := append([]ast.Node(nil), stack[:len(stack)-1]...)
			return event{node: n, block: innermostBlock(path), path: path}
		}
		switch n := n.(type) {
		case *ast.DeferStmt:
			if !harmlessCall(pass, n.Call) {
				defers = append(defers, ev())
			}
		case *ast.CallExpr:
			switch {
			case isShutdown(info, n):
				shutdowns = append(shutdowns, ev())
			case exitName(info, cfgs, n) != "":
				exits = append(exits, ev())
			default:
				if fn := callee.Func(info, n); fn != nil && state.exits(pass, fn) != nil {
					mayExits = append(mayExits, ev())
				}
			}
		}
		return true
	})
	for _, ex := range mayExits {
		call := ex.node.(*ast.CallExpr)
		if s, ok := after(shutdowns, ex); ok {
			fn := callee.Func(info, call)
			f := state.exits(pass, fn)
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"%s can end the process (%s at %s) after %s (line %d), abandoning goroutines and skipping the cleanup that follows shutdown: return an error to main instead",
				fn.Name(), f.What, f.Where, render(s.node.(*ast.CallExpr).Fun), pass.Fset.Position(s.node.Pos()).Line)})
		}
	}
	for _, ex := range exits {
		call := ex.node.(*ast.CallExpr)
		name := exitName(info, cfgs, call)
		if d, ok := pending(defers, ex); ok {
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"%s skips the deferred %s (line %d): return (or return an error) instead, and exit only from main once cleanup has run",
				name, render(d.node.(*ast.DeferStmt).Call.Fun), pass.Fset.Position(d.node.Pos()).Line)})
			continue
		}
		if s, ok := after(shutdowns, ex); ok {
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: fmt.Sprintf(
				"%s after %s (line %d) abandons goroutines and skips the cleanup that follows shutdown: return from main instead",
				name, render(s.node.(*ast.CallExpr).Fun), pass.Fset.Position(s.node.Pos()).Line)})
			continue
		}
		// A forced exit on a signal (the second Ctrl-C, SIGQUIT) is what the user asked for.
		if library && callee.IsPkgFunc(info, call, "os", "Exit") && !receivesSignal(info, body) {
			pass.Report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: "os.Exit outside package main ends the process behind its callers' backs, skipping their defers and shutdown: return an error instead"})
		}
	}
}

// command reports whether a package path is command code: a cmd or cli element.
func command(path string) bool {
	for _, elem := range strings.Split(path, "/") {
		if elem == "cmd" || elem == "cli" {
			return true
		}
	}
	return false
}

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
				if named, ok := types.Unalias(c.Elem()).(*types.Named); ok && named.Obj().Pkg() != nil &&
					named.Obj().Pkg().Path() == "os" && named.Obj().Name() == "Signal" {
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

// harmlessCall reports whether skipping call at exit changes nothing: irrelevantAtExit, a
// function with the Harmless fact, or a function literal whose calls are all harmless
// (defer func() { _ = db.Close() }(), a recover that logs).
func harmlessCall(pass *analysis.Pass, call *ast.CallExpr) bool {
	info := pass.TypesInfo
	if irrelevantAtExit(info, call) {
		return true
	}
	if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
		return harmlessBody(pass, lit.Body)
	}
	if fn := callee.Func(info, call); fn != nil {
		return pass.ImportObjectFact(fn, new(Harmless))
	}
	return false
}

// harmlessBody reports whether every call in body is harmless at exit, or only reports an
// error (fmt.Errorf, errors.*, log.Print*, logger methods, recover), and there is one at least.
func harmlessBody(pass *analysis.Pass, body *ast.BlockStmt) bool {
	info := pass.TypesInfo
	calls, ok := 0, true
	ast.Inspect(body, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !ok || !isCall {
			return ok
		}
		if _, isLit := ast.Unparen(call.Fun).(*ast.FuncLit); isLit {
			ok = false
			return false
		}
		if tv, isConv := info.Types[call.Fun]; isConv && tv.IsType() {
			return true
		}
		calls++
		switch {
		case harmlessCall(pass, call), reporting(info, call):
			return true
		}
		ok = false
		return false
	})
	return ok && calls > 0
}

// reporting reports whether call only builds or reports an error: fmt.Errorf/Sprintf,
// errors.*, log.Print*, slog and logger methods (Print, Error, Warn, Info, Debug and their f/ln
// forms), recover.
func reporting(info *types.Info, call *ast.CallExpr) bool {
	if callee.IsBuiltin(info, call, "recover") {
		return true
	}
	fn := callee.Func(info, call)
	if fn == nil {
		return false
	}
	if fn.Pkg() != nil {
		switch fn.Pkg().Path() {
		case "errors", "log/slog":
			return true
		case "fmt":
			return strings.HasPrefix(fn.Name(), "Errorf") || strings.HasPrefix(fn.Name(), "Sprint")
		case "log":
			return strings.HasPrefix(fn.Name(), "Print")
		}
	}
	if fn.Type().(*types.Signature).Recv() != nil {
		for _, p := range []string{"Print", "Error", "Warn", "Info", "Debug", "Log"} {
			if strings.HasPrefix(fn.Name(), p) {
				return true
			}
		}
	}
	return fn.Name() == "Error" // error.Error()
}

// exportFacts records Harmless for declared functions whose body is harmless at exit (a Close
// that only closes a database handle), and MayExit for those that can end the process.
func exportFacts(pass *analysis.Pass, cfgs *ctrlflow.CFGs, state *pkgState) {
	info := pass.TypesInfo
	var decls []*ast.FuncDecl
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil && info.Defs[fd.Name] != nil {
				decls = append(decls, fd)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, fd := range decls {
			obj := info.Defs[fd.Name]
			if !pass.ImportObjectFact(obj, new(Harmless)) && harmlessBody(pass, fd.Body) {
				pass.ExportObjectFact(obj, &Harmless{})
				changed = true
			}
		}
	}
	mayExit := map[types.Object]*MayExit{}
	for _, fd := range decls {
		obj := info.Defs[fd.Name]
		funcs.Walk(fd.Body, func(n ast.Node, _ []ast.Node) {
			if call, ok := n.(*ast.CallExpr); ok && mayExit[obj] == nil {
				if name := exitName(info, cfgs, call); name != "" {
					mayExit[obj] = &MayExit{What: name, Where: where(pass, call.Pos())}
				}
			}
		})
	}
	direct := maps.Clone(mayExit)
	for _, fd := range decls {
		obj := info.Defs[fd.Name]
		if mayExit[obj] != nil {
			continue
		}
		funcs.Walk(fd.Body, func(n ast.Node, _ []ast.Node) {
			call, ok := n.(*ast.CallExpr)
			if !ok || mayExit[obj] != nil {
				return
			}
			fn := callee.Func(info, call)
			if fn == nil || fn == obj {
				return
			}
			if d := direct[fn]; d != nil {
				mayExit[obj] = d
			} else if fn.Pkg() != pass.Pkg {
				var f MayExit
				if pass.ImportObjectFact(fn, &f) {
					mayExit[obj] = &f
				}
			}
		})
	}
	// Same-package calls use the map; other packages see exported facts. A main package has no
	// importers.
	state.mayExit = mayExit
	if pass.Pkg.Name() == "main" {
		return
	}
	for _, fd := range decls {
		if f := mayExit[info.Defs[fd.Name]]; f != nil && !strings.HasSuffix(pass.Fset.File(fd.Pos()).Name(), "_test.go") {
			pass.ExportObjectFact(info.Defs[fd.Name], f)
		}
	}
}

// where renders a position as file:line with the file's base name.
func where(pass *analysis.Pass, pos token.Pos) string {
	p := pass.Fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// irrelevantAtExit reports deferred calls whose skipping changes nothing when the process ends.
func irrelevantAtExit(info *types.Info, call *ast.CallExpr) bool {
	if t := info.TypeOf(call.Fun); t != nil {
		if named, ok := types.Unalias(t).(*types.Named); ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "context" {
			return true // context.CancelFunc, CancelCauseFunc
		}
	}
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Close" {
		// Closing what the kernel closes at exit anyway: files, sockets, database handles
		// (the database server rolls back on disconnect), response bodies.
		if callee.IsMethod(info, call, "os", "File", "Close") || isPkgMethod(info, call, "net") ||
			isPkgMethod(info, call, "database/sql") || isResponseBody(info, sel.X) {
			return true
		}
	}
	if callee.IsMethod(info, call, "database/sql", "Tx", "Rollback") || callee.IsBuiltin(info, call, "close") {
		return true
	}
	if fn := callee.Func(info, call); fn != nil && fn.Type().(*types.Signature).Recv() != nil && fn.Pkg() != nil && dbClient(fn.Pkg().Path()) {
		switch fn.Name() {
		case "Close", "Rollback", "Release", "Disconnect":
			// The database server rolls back and frees the session when the connection drops.
			return true
		}
	}
	return callee.IsMethod(info, call, "sync", "Mutex", "Unlock") ||
		callee.IsMethod(info, call, "sync", "RWMutex", "Unlock", "RUnlock") ||
		callee.IsMethod(info, call, "sync", "WaitGroup", "Done") ||
		callee.IsMethod(info, call, "time", "Ticker", "Stop") ||
		callee.IsMethod(info, call, "time", "Timer", "Stop") ||
		callee.IsPkgFunc(info, call, "os/signal", "Stop")
}

// dbClient reports whether a package path is a database or cache client's, whose handles the
// server cleans up when the connection drops.
func dbClient(path string) bool {
	for _, prefix := range []string{
		"database/sql", "github.com/jmoiron/sqlx", "github.com/jackc/pgx", "gorm.io/gorm",
		"github.com/redis/go-redis", "github.com/go-redis/redis", "go.mongodb.org/mongo-driver",
		"github.com/lib/pq", "github.com/go-sql-driver/mysql", "github.com/uptrace/bun",
		"entgo.io/ent", "github.com/mattn/go-sqlite3", "modernc.org/sqlite", "google.golang.org/grpc",
		"go.etcd.io/bbolt", "github.com/boltdb/bolt",
	} {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return true
		}
	}
	return false
}

// isPkgMethod reports whether call is a method of a type declared in package pkgPath (including
// interface methods such as net.Conn's).
func isPkgMethod(info *types.Info, call *ast.CallExpr, pkgPath string) bool {
	fn := callee.Func(info, call)
	if fn == nil || fn.Type().(*types.Signature).Recv() == nil {
		return false
	}
	recv := fn.Type().(*types.Signature).Recv().Type()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := types.Unalias(recv).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == pkgPath
}

// isResponseBody reports whether e is resp.Body of an *http.Response.
func isResponseBody(info *types.Info, e ast.Expr) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Body" {
		return false
	}
	v, ok := info.ObjectOf(sel.Sel).(*types.Var)
	if !ok || !v.IsField() || v.Pkg() == nil || v.Pkg().Path() != "net/http" {
		return false
	}
	t := info.TypeOf(sel.X)
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	return ok && named.Obj().Name() == "Response"
}

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
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if named, ok := types.Unalias(t).(*types.Named); ok {
		return "(" + fn.Pkg().Name() + "." + named.Obj().Name() + ")." + fn.Name()
	}
	return fn.Name()
}

func render(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name + "()"
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			return id.Name + "." + e.Sel.Name + "()"
		}
		return e.Sel.Name + "()"
	case *ast.FuncLit:
		return "func literal"
	}
	return "call"
}
