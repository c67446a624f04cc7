// Package named answers "which declared type is this?" for the gracevet analyzers: the package
// path and name of a named type, seen through aliases and, where asked, one pointer.
package named

import "go/types"

// Of returns the name of t's named type, through aliases, or nil when t is not a named type.
func Of(t types.Type) *types.TypeName {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return nil
	}
	return n.Obj()
}

// Deref returns what t points to when t is a pointer, else t.
func Deref(t types.Type) types.Type {
	if p, ok := t.(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// Is reports whether t is the named type pkgPath.name; pkgPath "" is the universe scope (error).
func Is(t types.Type, pkgPath, name string) bool {
	obj := Of(t)
	if obj == nil || obj.Name() != name {
		return false
	}
	return Pkg(obj) == pkgPath
}

// Pkg returns the path of the package that declares obj, or "" for the universe scope.
func Pkg(obj types.Object) string {
	if obj.Pkg() == nil {
		return ""
	}
	return obj.Pkg().Path()
}
