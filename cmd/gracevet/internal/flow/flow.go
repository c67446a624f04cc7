// Package flow answers one control-flow question for the release analyzers (tickerstop,
// signalstop): can the function return after acquiring something without releasing it? It also
// tells which loops never end on their own (for {}, a range over a ticker's channel), which
// chanloop asks too.
package flow

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis/passes/ctrlflow"
	"golang.org/x/tools/go/cfg"

	"github.com/gracekit/grace/cmd/gracevet/internal/callee"
	"github.com/gracekit/grace/cmd/gracevet/internal/named"
)

// Query describes one acquire-then-release check on a function's control-flow graph.
type Query struct {
	// CFG is the graph of the function that acquires.
	CFG *cfg.CFG
	// Acquire is the position of the acquiring call; the search starts after the CFG node
	// that contains it.
	Acquire token.Pos
	// Released reports whether a CFG node releases (or hands off) the resource. It is called on
	// whole nodes: statements such as `defer t.Stop()` or conditions.
	Released func(ast.Node) bool
	// NoReturn reports whether a call never returns (os.Exit, log.Fatal, panic): a path that
	// ends in one leaves nothing behind worth reporting.
	NoReturn func(*ast.CallExpr) bool
	// Endless reports whether a loop never finishes on its own (a range over a ticker's channel,
	// for true {}), so the path through its "done" block is not followed. May be nil.
	Endless func(ast.Stmt) bool
	// End is the position reported for a path that falls off the end of the function
	// (its closing brace).
	End token.Pos
	// FromEntry starts the search at the function's entry instead of after Acquire.
	FromEntry bool
	// Case, when set, reports whether entering a select case (its body block) releases: the
	// graph evaluates every case's communication before choosing one, so a receive in one case
	// is only on the path through that case. Released is not called on communications then.
	Case func(*ast.CommClause) bool
}

// Leak returns the position where some path leaves the function after Acquire without passing a
// released node: a return statement, or End for falling off the end. ok is false when every
// path releases, or never returns.
func Leak(q Query) (pos token.Pos, ok bool) {
	start, idx := find(q.CFG, q.Acquire)
	if q.FromEntry && len(q.CFG.Blocks) > 0 {
		start, idx = q.CFG.Blocks[0], -1
	}
	if start == nil {
		return token.NoPos, false
	}
	seen := map[*cfg.Block]bool{}
	var walk func(b *cfg.Block, from int) (token.Pos, bool)
	comms := map[ast.Node]bool{}
	if q.Case != nil {
		for _, b := range q.CFG.Blocks {
			if cc, ok := b.Stmt.(*ast.CommClause); ok && cc.Comm != nil {
				comms[cc.Comm] = true
			}
		}
	}
	walk = func(b *cfg.Block, from int) (token.Pos, bool) {
		if cc, ok := b.Stmt.(*ast.CommClause); ok && b.Kind == cfg.KindSelectCaseBody && q.Case != nil && q.Case(cc) {
			return token.NoPos, false
		}
		for _, n := range b.Nodes[from:] {
			if !comms[n] && q.Released(n) {
				return token.NoPos, false
			}
		}
		if len(b.Succs) == 0 {
			return exitPos(q, b)
		}
		succs := b.Succs
		if (b.Kind == cfg.KindRangeLoop || b.Kind == cfg.KindForLoop) && len(succs) == 2 && q.Endless != nil && q.Endless(b.Stmt) {
			succs = succs[:1] // the body only; the loop never completes
		}
		for _, s := range succs {
			if seen[s] {
				continue
			}
			seen[s] = true
			if p, ok := walk(s, 0); ok {
				return p, true
			}
		}
		return token.NoPos, false
	}
	return walk(start, idx+1)
}

// exitPos decides whether a block without successors is a real return of the function.
func exitPos(q Query, b *cfg.Block) (token.Pos, bool) {
	if !b.Live || b.Kind == cfg.KindSelectAfterCase {
		// The block after a select's last case has no successors: a select without default
		// waits for one of its cases, so nothing leaves from there.
		return token.NoPos, false
	}
	if len(b.Nodes) > 0 {
		switch last := b.Nodes[len(b.Nodes)-1].(type) {
		case *ast.ReturnStmt:
			return last.Pos(), true
		case *ast.ExprStmt:
			if call, ok := ast.Unparen(last.X).(*ast.CallExpr); ok && q.NoReturn(call) {
				return token.NoPos, false
			}
		}
	}
	return q.End, true
}

// find returns the block and index of the CFG node that contains pos.
func find(g *cfg.CFG, pos token.Pos) (*cfg.Block, int) {
	for _, b := range g.Blocks {
		for i, n := range b.Nodes {
			if n.Pos() <= pos && pos < n.End() {
				return b, i
			}
		}
	}
	return nil, 0
}

// AlwaysTrue reports whether a loop condition is the constant true (for true { ... }).
func AlwaysTrue(info *types.Info, cond ast.Expr) bool {
	if cond == nil {
		return false
	}
	tv, ok := info.Types[cond]
	return ok && tv.Value != nil && tv.Value.Kind() == constant.Bool && constant.BoolVal(tv.Value)
}

// NoReturn is the Query.NoReturn both release analyzers use: panic, or a function that the
// ctrlflow pass found never returns (os.Exit, log.Fatal, and functions that always call them).
func NoReturn(info *types.Info, cfgs *ctrlflow.CFGs) func(*ast.CallExpr) bool {
	return func(c *ast.CallExpr) bool {
		f := callee.Func(info, c)
		return callee.IsBuiltin(info, c, "panic") || f != nil && cfgs.NoReturn(f)
	}
}

// Loops returns a Query.Endless for `for {}` and `for true {}`, and for ranges whose expression
// forever reports as never ending (a ticker's channel, a channel nobody closes).
func Loops(info *types.Info, forever func(ast.Expr) bool) func(ast.Stmt) bool {
	return func(s ast.Stmt) bool {
		switch s := s.(type) {
		case *ast.RangeStmt:
			return forever(s.X)
		case *ast.ForStmt:
			return AlwaysTrue(info, s.Cond)
		}
		return false
	}
}

// TickerChan reports whether e is a ticker's channel: t.C of a time.Ticker, or the result of
// time.Tick. Nothing closes it (Stop does not), so a range over it never ends.
func TickerChan(info *types.Info, e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "C" && named.Is(named.Deref(info.TypeOf(e.X)), "time", "Ticker")
	case *ast.CallExpr:
		return callee.IsPkgFunc(info, e, "time", "Tick")
	}
	return false
}

// Exit says, for a diagnostic, where the path that Leak found leaves the function: "falls off
// the end of the function" when pos is the query's End, else "returns at line N".
func Exit(fset *token.FileSet, pos, end token.Pos) string {
	if pos == end {
		return "falls off the end of the function"
	}
	return fmt.Sprintf("returns at line %d", fset.Position(pos).Line)
}
