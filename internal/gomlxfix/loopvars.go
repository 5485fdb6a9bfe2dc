package gomlxfix

import (
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// WhileVariables is [While] whose body may read the variables of store:
// every variable that has a value rides through the loop as extra loop
// state, unchanged, and while the body is built each variable's graph value
// is the body's parameter (restored afterwards). init, cond and body see
// only the caller's state; the returned state is the caller's too.
//
// Why (go-xla v0.3.0, still so in v0.4.1): a variable read inside a While
// body is a value of the main function captured by the closure, and go-xla
// refuses element-wise ops that mix it with the closure's own values
// ("cannot add operation Add to function "closure1", because the operands
// are not part of the function"). Canary: TestWhileCapturedVariableRefused
// fails when go-xla accepts such a capture, and this helper may go.
func WhileVariables(store *model.Store, init []*graph.Node, cond func(g *graph.Graph, state []*graph.Node) *graph.Node, body func(g *graph.Graph, state []*graph.Node) []*graph.Node) []*graph.Node {
	g := init[0].Graph()
	var vars []*model.Variable
	var varNodes []*graph.Node
	for v := range store.IterVariables() {
		if v.HasValue() {
			vars = append(vars, v)
			varNodes = append(varNodes, v.NodeValue(g))
		}
	}
	n := len(init)
	state := append(append([]*graph.Node{}, init...), varNodes...)
	out := While(state,
		func(g *graph.Graph, ps []*graph.Node) *graph.Node { return cond(g, ps[:n]) },
		func(g *graph.Graph, ps []*graph.Node) []*graph.Node {
			for i, v := range vars {
				v.SetNodeValue(ps[n+i])
			}
			defer func() {
				for i, v := range vars {
					v.SetNodeValue(varNodes[i])
				}
			}()
			return append(body(g, ps[:n]), ps[n:]...)
		})
	return out[:n]
}
