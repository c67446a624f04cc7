package ctxtwin

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
)

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

// ctxArg inserts ctx as the call's first argument.
func ctxArg(call *ast.CallExpr, ctx string) analysis.TextEdit {
	text := ctx
	if len(call.Args) > 0 {
		text += ", "
	}
	return analysis.TextEdit{Pos: call.Lparen + 1, End: call.Lparen + 1, NewText: []byte(text)}
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
