package funcs

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
)

// Decl is one declared function (or method) of the package that has a body.
type Decl struct {
	Obj  *types.Func
	Decl *ast.FuncDecl
	// Test is set for a function declared in a _test.go file.
	Test bool
}

// Declared returns the package's declared functions with a body, file by file (in
// pass.Files's order) and in order within each file.
func Declared(pass *analysis.Pass) []Decl {
	var ds []Decl
	for _, f := range pass.Files {
		ds = append(ds, DeclaredIn(pass, f)...)
	}
	return ds
}

// DeclaredIn returns the functions with a body that file f of the package declares, in order.
func DeclaredIn(pass *analysis.Pass, f *ast.File) []Decl {
	var ds []Decl
	test := analyzer.InTest(pass, f.Pos())
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		if obj, _ := pass.TypesInfo.Defs[fd.Name].(*types.Func); obj != nil {
			ds = append(ds, Decl{Obj: obj, Decl: fd, Test: test})
		}
	}
	return ds
}

// Params returns the objects of a function's parameters, one per parameter in order: nil for an
// unnamed one.
func Params(info *types.Info, ft *ast.FuncType) []types.Object {
	var ps []types.Object
	for _, field := range ft.Params.List {
		if len(field.Names) == 0 {
			ps = append(ps, nil)
		}
		for _, name := range field.Names {
			ps = append(ps, info.Defs[name])
		}
	}
	return ps
}

// Command reports whether a package path is command code: one of its elements is cmd or cli.
func Command(pkgPath string) bool {
	for _, elem := range strings.Split(pkgPath, "/") {
		if elem == "cmd" || elem == "cli" {
			return true
		}
	}
	return false
}
