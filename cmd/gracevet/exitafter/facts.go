package exitafter

import (
	"fmt"
	"go/ast"
	"go/types"
	"maps"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

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

// exportFacts records Harmless for declared functions whose body is harmless at exit (a Close
// that only closes a database handle), and MayExit for those that can end the process.
func exportFacts(pass *analysis.Pass, cfgs *ctrlflow.CFGs, state *pkgState) {
	info := pass.TypesInfo
	decls := funcs.Declared(pass)
	for changed := true; changed; {
		changed = false
		for _, d := range decls {
			if !pass.ImportObjectFact(d.Obj, new(Harmless)) && harmlessBody(pass, d.Decl.Body) {
				pass.ExportObjectFact(d.Obj, &Harmless{})
				changed = true
			}
		}
	}
	mayExit := map[types.Object]*MayExit{}
	for _, d := range decls {
		obj := d.Obj
		funcs.Walk(d.Decl.Body, func(n ast.Node, _ []ast.Node) {
			if call, ok := n.(*ast.CallExpr); ok && mayExit[obj] == nil {
				if name := exitName(info, cfgs, call); name != "" {
					mayExit[obj] = &MayExit{What: name, Where: analyzer.Where(pass, call.Pos())}
				}
			}
		})
	}
	direct := maps.Clone(mayExit)
	for _, d := range decls {
		obj := d.Obj
		if mayExit[obj] != nil {
			continue
		}
		funcs.Walk(d.Decl.Body, func(n ast.Node, _ []ast.Node) {
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
	for _, d := range decls {
		if f := mayExit[d.Obj]; f != nil && !d.Test {
			pass.ExportObjectFact(d.Obj, f)
		}
	}
}
