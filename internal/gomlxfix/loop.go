package gomlxfix

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// While is graph.While for every loop of ddpm-go: it runs body while cond
// holds, from the loop state init (any number of values, of fixed shapes),
// and returns the final state. cond and body get the closure's graph and its
// parameters, one per state value, named s0, s1, …; body returns the next
// state, of the same shapes.
//
// It builds both closures with the workarounds of [ResetScalarCache] and
// [ResetXLAReductionCaches] (before and after each), which a hand-written
// loop would have to remember. No gradient flows through a While (GoMLX
// v0.28.0): use it for sampling chains only.
func While(init []*graph.Node, cond func(g *graph.Graph, state []*graph.Node) *graph.Node, body func(g *graph.Graph, state []*graph.Node) []*graph.Node) []*graph.Node {
	if len(init) == 0 {
		panic("gomlxfix.While: empty loop state")
	}
	g := init[0].Graph()
	params := func(g *graph.Graph) []*graph.Node {
		ps := make([]*graph.Node, len(init))
		for i, n := range init {
			ps[i] = graph.Parameter(g, fmt.Sprintf("s%d", i), n.Shape())
		}
		return ps
	}
	c := closure(g, func(g *graph.Graph) []*graph.Node { return []*graph.Node{cond(g, params(g))} })
	b := closure(g, func(g *graph.Graph) []*graph.Node { return body(g, params(g)) })
	return graph.While(c, b, init...)
}

// closure is graph.NewClosure with both caches emptied before and after.
func closure(g *graph.Graph, fn func(g *graph.Graph) []*graph.Node) *graph.Function {
	ResetScalarCache(g)
	ResetXLAReductionCaches(g)
	f := graph.NewClosure(g, fn)
	ResetScalarCache(g)
	ResetXLAReductionCaches(g)
	return f
}
