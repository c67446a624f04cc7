package exitafter

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/named"
)

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

// irrelevantAtExit reports deferred calls whose skipping changes nothing when the process ends.
func irrelevantAtExit(info *types.Info, call *ast.CallExpr) bool {
	if t := info.TypeOf(call.Fun); t != nil {
		if obj := named.Of(t); obj != nil && named.Pkg(obj) == "context" {
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
	obj := named.Of(named.Deref(fn.Type().(*types.Signature).Recv().Type()))
	return obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == pkgPath
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
	obj := named.Of(named.Deref(info.TypeOf(sel.X)))
	return obj != nil && obj.Name() == "Response"
}
