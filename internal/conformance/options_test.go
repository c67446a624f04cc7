package conformance_test

import (
	"go/ast"
	"go/token"
	"strings"
	"testing"
)

// optionDecls finds the option types a file declares: exported types named Option or ending in
// Option (the root's ComponentOption, ConsumeOption). Each one that is not the one style — an
// interface type declared right there (not an alias, not a named func or struct, not a type
// defined from another package's), with at least one unexported method so that only its own
// package makes one — is reported with what is wrong in its key.
func optionDecls(pkg string, fset *token.FileSet, file *ast.File) []decl {
	var found []decl
	for _, d := range file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			if !ts.Name.IsExported() || !strings.HasSuffix(ts.Name.Name, "Option") {
				continue
			}
			key := pkg + "." + ts.Name.Name
			iface, isIface := ts.Type.(*ast.InterfaceType)
			switch {
			case ts.Assign.IsValid():
				key += " is an alias"
			case !isIface:
				key += " is not an interface type"
			case !hasUnexportedMethod(iface):
				key += " has no unexported method"
			}
			found = append(found, decl{key, fset.Position(ts.Pos()).String()})
		}
	}
	return found
}

func hasUnexportedMethod(iface *ast.InterfaceType) bool {
	for _, m := range iface.Methods.List {
		if _, isFunc := m.Type.(*ast.FuncType); !isFunc {
			continue // an embedded interface or a type constraint
		}
		for _, n := range m.Names {
			if !n.IsExported() {
				return true
			}
		}
	}
	return false
}

// TestEveryOptionIsItsPackagesOwnInterface: one option style across the repository (issue 14).
// Every exported Option type (and every *Option type) is an interface declared in its own package
// with an unexported method — never an alias of a shared generic type, which made a gracepgx
// option acceptable to graceredis.New and showed users an internal type in godoc.
func TestEveryOptionIsItsPackagesOwnInterface(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range scan(t, optionDecls) {
		if strings.Contains(d.key, " ") {
			t.Errorf("%s: %s: an Option must be an interface type of its own package with an unexported apply method (see gracenats/options.go)", d.pos, d.key)
			continue
		}
		seen[d.key] = true
	}
	for _, want := range []string{"grace.Option", "grace.ComponentOption", "gracehttp.Option", "gracegrpc.Option", "gracepgx.Option", "graceredis.Option", "graceetcd.Option", "gracesystemd.Option", "gracenats.Option"} {
		if !seen[want] {
			t.Errorf("the scan did not find %s as an interface: it misses option types", want)
		}
	}
}
