package gomlxfix

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// GoMLX v0.28.2's graph.RandomNormal (Box–Muller) guards log(u1) by
// clamping the uniform u1 at the dtype's smallest non-zero value, a
// denormal (1.4e-45 for float32). XLA CPU flushes denormals to zero, so
// there Max(0, 1.4e-45) is 0, log(0) = −Inf and a uniform draw of exactly 0
// gives an infinite normal value. In a training run that is a NaN loss at a
// fixed step, whatever the learning rate: the likely cause (not traced to
// the draw) of the NaN seen at step 3,861 of an MNIST run, twice, the second
// time resumed from step 3,000 with half the step size; with this clamp the
// same run trained through all 5,022 steps. These functions draw the same values from the same RNG stream, with
// u1 clamped at the smallest *normal* number instead (13.2 standard
// deviations for float32).

// RandomNormal is graph.RandomNormal with the clamp that holds on XLA CPU.
func RandomNormal(rngState *graph.Node, shape shapes.Shape) (newRNGState, values *graph.Node) {
	var u1, u2 *graph.Node
	newRNGState, u1 = graph.RandomUniform(rngState, shape)
	newRNGState, u2 = graph.RandomUniform(newRNGState, shape)
	return newRNGState, boxMuller(u1, u2)
}

// ScopeRandomNormal is model.Scope.RandomNormal (the store's RNG state) with
// the clamp that holds on XLA CPU.
func ScopeRandomNormal(scope *model.Scope, g *graph.Graph, shape shapes.Shape) *graph.Node {
	u1 := scope.RandomUniform(g, shape)
	u2 := scope.RandomUniform(g, shape)
	return boxMuller(u1, u2)
}

func boxMuller(u1, u2 *graph.Node) *graph.Node {
	u1 = graph.Max(u1, graph.ConstAs(u1, smallestNormal(u1.DType())))
	return graph.Mul(graph.Sqrt(graph.MulScalar(graph.Log(u1), -2)), graph.Cos(graph.MulScalar(u2, 2*math.Pi)))
}

func smallestNormal(dt dtypes.DType) float64 {
	switch dt {
	case dtypes.Float64:
		return 0x1p-1022
	case dtypes.Float16:
		return 0x1p-14
	}
	return 0x1p-126 // float32, bfloat16
}
