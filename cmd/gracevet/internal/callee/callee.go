// Package callee answers "which function does this call reach?" in the terms the gracevet
// analyzers need: a package-level function or a method of a named type, by package path and name.
package callee

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/types/typeutil"

	"github.com/gracekit/grace/cmd/gracevet/internal/named"
)

// Func returns the statically known function or method that call invokes, or nil for calls
// through function values, interface-typed values with no static target, conversions and builtins.
func Func(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn
}

// IsPkgFunc reports whether call invokes the package-level function pkgPath.name for one of names.
func IsPkgFunc(info *types.Info, call *ast.CallExpr, pkgPath string, names ...string) bool {
	fn := Func(info, call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != pkgPath {
		return false
	}
	if sig, ok := fn.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return false
	}
	return oneOf(fn.Name(), names)
}

// IsMethod reports whether call invokes a method named one of names whose receiver's named type is
// pkgPath.typeName (pointer or not). Methods promoted through embedding count, since the callee is
// the method of the embedded type.
func IsMethod(info *types.Info, call *ast.CallExpr, pkgPath, typeName string, names ...string) bool {
	fn := Func(info, call)
	if fn == nil || !oneOf(fn.Name(), names) {
		return false
	}
	return RecvIs(fn, pkgPath, typeName)
}

// RecvIs reports whether fn is a method of pkgPath.typeName or of a pointer to it.
func RecvIs(fn *types.Func, pkgPath, typeName string) bool {
	sig, ok := fn.Type().(*types.Signature)
	return ok && sig.Recv() != nil && pkgPath != "" && named.Is(named.Deref(sig.Recv().Type()), pkgPath, typeName)
}

// IsBuiltin reports whether call invokes the builtin function name (close, panic, ...).
func IsBuiltin(info *types.Info, call *ast.CallExpr, name string) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// IsContext reports whether t is context.Context.
func IsContext(t types.Type) bool {
	return named.Is(t, "context", "Context")
}

// ObjectOf returns the object an identifier or a selector (x.f, pkg.V) denotes, or nil.
func ObjectOf(info *types.Info, e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return info.ObjectOf(e)
	case *ast.SelectorExpr:
		return info.ObjectOf(e.Sel)
	}
	return nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
