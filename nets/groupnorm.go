package nets

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// GroupNormEpsilon is the ε added to the variance in [GroupNorm]: PyTorch's
// nn.GroupNorm default (Ho et al.'s TensorFlow code used 1e-6).
const GroupNormEpsilon = 1e-5

// GroupNorm is group normalisation (Wu & He 2018, Eq. 1–3) of NHWC images:
// the C channels are split into G groups of C/G consecutive channels and
// each (image, group) is normalised over its H·W·C/G values,
//
//	μ = mean(x),  σ² = mean((x−μ)²)  over (H, W, C/G),
//	y = γ_c (x−μ)/√(σ² + ε) + β_c,
//
// with a learned per-channel scale γ ("scale", initialised to 1) and offset
// β ("offset", 0) under scope. x [B, H, W, C] → [B, H, W, C]; C must be a
// multiple of groups. (GoMLX v0.28.0 has no GroupNorm layer.)
func GroupNorm(scope *model.Scope, x *Node, groups int) *Node {
	if x.Rank() != 4 {
		panicf("nets.GroupNorm: x must be [B, H, W, C], got shape %s", x.Shape())
	}
	dims := x.Shape().Dimensions
	B, H, W, C := dims[0], dims[1], dims[2], dims[3]
	if groups < 1 || C%groups != 0 {
		panicf("nets.GroupNorm: the %d channels of x (shape %s) must split into groups=%d equal groups", C, x.Shape(), groups)
	}
	g := x.Graph()
	xg := Reshape(x, B, H, W, groups, C/groups)               // [B, H, W, G, C/G]
	mean := ReduceAndKeep(xg, ReduceMean, 1, 2, 4)            // [B, 1, 1, G, 1]
	d := Sub(xg, mean)                                        // [B, H, W, G, C/G]
	variance := ReduceAndKeep(Square(d), ReduceMean, 1, 2, 4) // [B, 1, 1, G, 1]
	// Div by Sqrt, not Mul by Rsqrt: Rsqrt has no gradient in GoMLX v0.28.0
	// (building one panics: `… with type "Rsqrt", for which no gradient is
	// defined yet`).
	y := Reshape(Div(d, Sqrt(AddScalar(variance, GroupNormEpsilon))), B, H, W, C)          // [B, H, W, C]
	gamma := variable(scope.WithInitializer(Ones), g, "scale", shapes.Make(x.DType(), C))  // [C]
	beta := variable(scope.WithInitializer(Zeros), g, "offset", shapes.Make(x.DType(), C)) // [C]
	return Add(Mul(y, expandLeft(gamma, 4)), expandLeft(beta, 4))                          // [B, H, W, C]
}
