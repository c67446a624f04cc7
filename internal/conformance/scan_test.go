package conformance_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository's root, seen from this directory.
const repoRoot = "../.."

// decl is an exported name declared in the repository's source: its key is the directory of
// its package ("grace" for the root's) and the name, "gracehttp.CutError".
type decl struct {
	key, pos string
}

// scan parses every Go file of the repository that is not a test or under testdata, and returns
// what each finds: f is called with the file's package key and syntax tree.
func scan(t *testing.T, f func(pkg string, fset *token.FileSet, file *ast.File) []decl) []decl {
	t.Helper()
	fset := token.NewFileSet()
	var found []decl
	files := 0
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != repoRoot && (name == "testdata" || strings.HasPrefix(name, ".") || name == "out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(repoRoot, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if pkg == "." {
			pkg = "grace"
		}
		files++
		found = append(found, f(pkg, fset, file)...)
		return nil
	})
	if err != nil {
		t.Fatalf("scan the repository: %v", err)
	}
	if files < 100 {
		t.Fatalf("the scan read %d Go files: is the repository where it should be?", files)
	}
	return found
}

// cutDecls finds the cut errors a file declares: exported types named *CutError (but not the
// root's CutError interface), and the receivers of every Cut() (int, string) method.
func cutDecls(pkg string, fset *token.FileSet, file *ast.File) []decl {
	var found []decl
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				ts, ok := s.(*ast.TypeSpec)
				if !ok || !ts.Name.IsExported() || !strings.HasSuffix(ts.Name.Name, "CutError") {
					continue
				}
				if _, iface := ts.Type.(*ast.InterfaceType); !iface {
					found = append(found, decl{pkg + "." + ts.Name.Name, fset.Position(ts.Pos()).String()})
				}
			}
		case *ast.FuncDecl:
			if d.Recv == nil || d.Name.Name != "Cut" || !returnsIntString(d.Type) {
				continue
			}
			if name := receiverName(d.Recv.List[0].Type); ast.IsExported(name) {
				found = append(found, decl{pkg + "." + name, fset.Position(d.Pos()).String()})
			}
		}
	}
	return found
}

func returnsIntString(ft *ast.FuncType) bool {
	if ft.Params.NumFields() != 0 || ft.Results.NumFields() != 2 {
		return false
	}
	var types []string
	for _, r := range ft.Results.List {
		id, _ := r.Type.(*ast.Ident)
		for range max(len(r.Names), 1) {
			if id == nil {
				types = append(types, "")
			} else {
				types = append(types, id.Name)
			}
		}
	}
	return slices.Equal(types, []string{"int", "string"})
}

func receiverName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// TestEveryCutErrorIsListed: every cut error declared anywhere in the repository is in
// cutErrors, so TestCutErrorsMatchErrCut checks it.
func TestEveryCutErrorIsListed(t *testing.T) {
	found := scan(t, cutDecls)
	seen := map[string]bool{}
	for _, d := range found {
		seen[d.key] = true
		if _, ok := cutErrors[d.key]; !ok {
			t.Errorf("%s: %s is a cut error the conformance table does not check: add a value of it to cutErrors", d.pos, d.key)
		}
	}
	for _, want := range []string{"grace.InUseError", "gracehttp.CutError", "gracegrpc.CutError"} {
		if !seen[want] {
			t.Errorf("the scan did not find %s: it misses cut errors", want)
		}
	}
}

// rootOnly are the names of issue 14's vocabulary that the root declares once: no other package
// may declare its own (an adapter's cut error matches grace.ErrCut, its "still in use" error is a
// grace.InUseError, its option problems are a grace.ConfigError from Validate).
var rootOnly = []string{"ErrCut", "ErrInUse", "InUseError", "ErrInvalid", "ConfigError", "ForcedCloser"}

// vocabularyDecls finds, in a package other than the root, exported declarations named as
// rootOnly ones, and ForcedCloses methods (graceotel's old ForcedCloser interface).
func vocabularyDecls(pkg string, fset *token.FileSet, file *ast.File) []decl {
	if pkg == "grace" {
		return nil
	}
	var found []decl
	add := func(id *ast.Ident) {
		if slices.Contains(rootOnly, id.Name) {
			found = append(found, decl{pkg + "." + id.Name, fset.Position(id.Pos()).String()})
		}
	}
	for _, d := range file.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(s.Name)
				case *ast.ValueSpec:
					for _, id := range s.Names {
						add(id)
					}
				}
			}
		case *ast.FuncDecl:
			if d.Recv != nil && d.Name.Name == "ForcedCloses" {
				found = append(found, decl{pkg + "." + receiverName(d.Recv.List[0].Type) + ".ForcedCloses", fset.Position(d.Pos()).String()})
			}
		}
	}
	return found
}

// TestNoPackageRedeclaresTheRootVocabulary: ErrCut, ErrInUse, InUseError, ErrInvalid,
// ConfigError and ForcedCloser are declared by the root only.
func TestNoPackageRedeclaresTheRootVocabulary(t *testing.T) {
	for _, d := range scan(t, vocabularyDecls) {
		t.Errorf("%s: %s redeclares the root's vocabulary (use grace's)", d.pos, d.key)
	}
}
