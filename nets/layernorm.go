package nets

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// LayerNormEpsilon is the ε added to the variance in [LayerNorm]: PyTorch's
// nn.LayerNorm default (U-ViT's blocks use it; DiT's use 1e-6).
const LayerNormEpsilon = 1e-5

// LayerNorm is layer normalisation (Ba, Kiros & Hinton 2016, Eq. 4) over
// the last axis of x [..., D]:
//
//	μ = mean_d(x),  σ² = mean_d((x−μ)²),
//	y = γ (x−μ)/√(σ² + ε) + β,
//
// with a learned scale γ [D] ("scale", initialised to 1) and offset β [D]
// ("offset", 0) under scope, as [GroupNorm] names them. x [..., D] →
// [..., D]; it panics on a scalar x.
func LayerNorm(scope *model.Scope, x *Node) *Node {
	if x.Rank() < 1 {
		panicf("nets.LayerNorm: x must be [..., D], got shape %s", x.Shape())
	}
	g, r := x.Graph(), x.Rank()
	D := x.Shape().Dimensions[r-1]
	mean := ReduceAndKeep(x, ReduceMean, r-1)             // [..., 1]
	d := Sub(x, mean)                                     // [..., D]
	variance := ReduceAndKeep(Square(d), ReduceMean, r-1) // [..., 1]
	// Div by Sqrt, not Mul by Rsqrt: Rsqrt has no gradient in GoMLX v0.28
	// (building one panics: `… with type "Rsqrt", for which no gradient is
	// defined yet`).
	y := Div(d, Sqrt(AddScalar(variance, LayerNormEpsilon)))                               // [..., D]
	gamma := variable(scope.WithInitializer(Ones), g, "scale", shapes.Make(x.DType(), D))  // [D]
	beta := variable(scope.WithInitializer(Zeros), g, "offset", shapes.Make(x.DType(), D)) // [D]
	return Add(Mul(y, expandLeft(gamma, r)), expandLeft(beta, r))                          // [..., D]
}

// layerNormParams is the parameter count of [LayerNorm] on width D.
func layerNormParams(d int) int { return 2 * d }
