package gomlxfix

import (
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ScatterAssign returns operand [N] with operand[indices[b]] = updates[b]
// for every b where keep[b] holds; indices [B] int32 in [0, N) must be
// distinct among the kept ones, the others are dropped whatever they are.
// operand and updates share a float dtype.
//
// Why (GoMLX v0.28.2): graph.ScatterUpdate is implemented only for unique
// indices (unique=false panics), and the dropped entries are not unique.
// The kept ones are routed to their positions and the dropped ones to one
// extra position, then a ScatterSum into zeros gives the written mask and
// the values. Canary: TestScatterUpdateNeedsUnique fails when
// ScatterUpdate accepts unique=false, and this may become a ScatterUpdate.
func ScatterAssign(operand, indices, updates, keep *graph.Node) *graph.Node {
	g := operand.Graph()
	N := operand.Shape().Dimensions[0]
	trash := graph.BroadcastToShape(graph.Const(g, int32(N)), indices.Shape())
	at := graph.InsertAxes(graph.Where(keep, indices, trash), -1) // [B, 1]
	zeros := graph.Zeros(g, shapes.Make(operand.DType(), N+1))
	cut := func(x *graph.Node) *graph.Node { return graph.Slice(x, graph.AxisRange(0, N)) }
	written := cut(graph.ScatterSum(zeros, at, graph.OnesLike(updates), false, false))
	values := cut(graph.ScatterSum(zeros, at, updates, false, false))
	return graph.Add(graph.Mul(operand, graph.OneMinus(written)), values)
}

// ScopeRandomIntN is model.Scope.RandomIntN (n values 0…n−1 from the
// store's RNG) behind a StopGradient: integer draws carry no gradient, and
// without it GoMLX v0.28.2 panics building the gradient of a graph in which
// a layer (layers.Dense) consumes the draw ("signed UnaryOp Neg must have a
// signed data type as input, got (Uint64)"). It draws the same values from
// the same state; the trainer's t comes from it, so the networks need no
// guard of their own. Canary: TestRandomIntNGradientPanics fails when the
// gradient builds without it.
func ScopeRandomIntN(scope *model.Scope, g *graph.Graph, n int, shape shapes.Shape) *graph.Node {
	return graph.StopGradient(scope.RandomIntN(g, int32(n), shape))
}
