package chanloop

import (
	"fmt"
	"go/ast"
	"go/types"
	"sort"

	"github.com/gracekit/grace/cmd/gracevet/internal/analyzer"
	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/flow"
	"github.com/gracekit/grace/cmd/gracevet/internal/funcs"
)

// Loops is the fact that a function, when it runs, loops over a channel with no exit: over a
// ticker's channel or forever receiving (Param -1), or over the channel it takes as parameter
// Param. Starts is set when the function does not loop itself but starts a goroutine that
// does, on its parameter Param.
type Loops struct {
	Param  int
	Starts bool
	What   string // "ranges over t.C, a ticker's channel that is never closed"
	Where  string // file:line of the loop
}

// AFact marks Loops as an analysis fact.
func (*Loops) AFact() {}

func (f *Loops) String() string {
	verb := "loops"
	if f.Starts {
		verb = "starts a goroutine that loops"
	}
	return fmt.Sprintf("%s (param %d): %s at %s", verb, f.Param, f.What, f.Where)
}

// facts computes Loops for this package's declared functions, and exports it (other packages
// than main).
func (c *checker) facts() {
	var fns []funcs.Decl
	for _, d := range c.declared {
		if !d.Test {
			fns = append(fns, d)
		}
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Decl.Pos() < fns[j].Decl.Pos() })
	for _, f := range fns {
		if l := c.ownLoop(f.Decl); l != nil {
			c.loops[f.Obj] = l
		}
	}
	for round := 0; round < 3; round++ {
		for _, f := range fns {
			if c.loops[f.Obj] != nil {
				continue
			}
			if l := c.viaHelper(f.Decl); l != nil {
				c.loops[f.Obj] = l
			}
		}
	}
	if c.pass.Pkg.Name() == "main" {
		return
	}
	for _, f := range fns {
		if l := c.loops[f.Obj]; l != nil {
			c.pass.ExportObjectFact(f.Obj, l)
		}
	}
}

// paramIndex returns the index of e among decl's parameters, or -1.
func (c *checker) paramIndex(decl *ast.FuncDecl, e ast.Expr) int {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return -1
	}
	obj := c.pass.TypesInfo.ObjectOf(id)
	for i, p := range funcs.Params(c.pass.TypesInfo, decl.Type) {
		if p != nil && p == obj {
			return i
		}
	}
	return -1
}

// ownLoop returns the Loops fact for a loop with no exit in decl's own body (not in literals or
// goroutines): over a ticker, forever receiving, or over a channel parameter.
func (c *checker) ownLoop(decl *ast.FuncDecl) *Loops {
	return first(decl.Body, func(n ast.Node) (*Loops, bool) {
		switch loop := n.(type) {
		case *ast.FuncLit, *ast.GoStmt:
			return nil, false
		case *ast.RangeStmt:
			if t := c.pass.TypesInfo.TypeOf(loop.X); t == nil {
				return nil, true
			} else if _, isChan := t.Underlying().(*types.Chan); !isChan || c.hasExit(loop, loop.Body) {
				return nil, true
			}
			where := analyzer.Where(c.pass, loop.Pos())
			if flow.TickerChan(c.pass.TypesInfo, loop.X) {
				return &Loops{Param: -1, What: fmt.Sprintf("ranges over %s, a ticker's channel that is never closed", render(loop.X)), Where: where}, true
			} else if i := c.paramIndex(decl, loop.X); i >= 0 {
				return &Loops{Param: i, What: fmt.Sprintf("ranges over its parameter %s", render(loop.X)), Where: where}, true
			}
		case *ast.ForStmt:
			if recv := c.endlessReceive(loop); recv != "" {
				return &Loops{Param: -1, What: "loops forever receiving from " + recv, Where: analyzer.Where(c.pass, loop.Pos())}, true
			}
		}
		return nil, true
	})
}

// first walks body until visit returns a fact, and returns it (nil if none does); visit's
// bool says whether to walk into the node's children.
func first(body *ast.BlockStmt, visit func(ast.Node) (*Loops, bool)) *Loops {
	var found *Loops
	ast.Inspect(body, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		l, descend := visit(n)
		found = l
		return descend
	})
	return found
}

// viaHelper returns the Loops fact decl gets from what it calls outside literals (a helper that
// loops, on decl's parameter or on nothing) and from the goroutines it starts on its parameters.
func (c *checker) viaHelper(decl *ast.FuncDecl) *Loops {
	return first(decl.Body, func(n ast.Node) (*Loops, bool) {
		switch n := n.(type) {
		case *ast.FuncLit:
			return nil, false
		case *ast.GoStmt:
			if lit, ok := ast.Unparen(n.Call.Fun).(*ast.FuncLit); ok {
				// go func() { for v := range param {} }(): a goroutine looping on a parameter.
				return c.startsOnParam(decl, lit), false
			}
			if l := c.factOf(n.Call); l != nil && !l.Starts && l.Param >= 0 && l.Param < len(n.Call.Args) {
				if i := c.paramIndex(decl, n.Call.Args[l.Param]); i >= 0 {
					return &Loops{Param: i, Starts: true, What: l.What, Where: l.Where}, false
				}
			}
			return nil, false
		case *ast.CallExpr:
			l := c.factOf(n)
			switch {
			case l == nil:
			case l.Param < 0 && !l.Starts:
				return &Loops{Param: -1, What: l.What, Where: l.Where}, true
			case l.Param >= 0 && l.Param < len(n.Args):
				if i := c.paramIndex(decl, n.Args[l.Param]); i >= 0 {
					return &Loops{Param: i, Starts: l.Starts, What: l.What, Where: l.Where}, true
				}
			}
		}
		return nil, true
	})
}

// startsOnParam returns the Loops fact (Starts) for a goroutine literal that decl starts, when
// the literal ranges over one of decl's channel parameters with no exit.
func (c *checker) startsOnParam(decl *ast.FuncDecl, lit *ast.FuncLit) *Loops {
	return first(lit.Body, func(m ast.Node) (*Loops, bool) {
		if r, ok := m.(*ast.RangeStmt); ok && !c.hasExit(r, r.Body) {
			if i := c.paramIndex(decl, r.X); i >= 0 {
				if _, isChan := c.pass.TypesInfo.TypeOf(r.X).Underlying().(*types.Chan); isChan {
					return &Loops{Param: i, Starts: true, What: fmt.Sprintf("ranges over %s", render(r.X)), Where: analyzer.Where(c.pass, r.Pos())}, true
				}
			}
		}
		_, lit := m.(*ast.FuncLit)
		return nil, !lit
	})
}

// factOf returns the Loops fact of the function call invokes, from this package or another.
func (c *checker) factOf(call *ast.CallExpr) *Loops {
	fn := callee.Func(c.pass.TypesInfo, call)
	if fn == nil {
		return nil
	}
	if l := c.loops[fn]; l != nil {
		return l
	}
	var l Loops
	if fn.Pkg() != c.pass.Pkg && c.pass.ImportObjectFact(fn, &l) {
		return &l
	}
	return nil
}
