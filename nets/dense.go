package nets

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Dense is the affine map on the last axis,
//
//	y = x W + b,   x [..., in] → y [..., out],  W [in, out] ("weights"),  b [out] ("biases"),
//
// with variables under scope (W from the scope's initializer, GoMLX's default
// He normal N(0, 2/in); b from it too, zeros by default). It is one
// DotGeneral with one contracting axis (so paired in order: see
// gomlxfix.DotGeneral for the gradient bug of out-of-order pairings).
func Dense(scope *model.Scope, x *Node, out int) *Node {
	if x.Rank() < 1 || out < 1 {
		panicf("nets.Dense: want x of rank ≥ 1 and out ≥ 1, got x shape %s and out=%d", x.Shape(), out)
	}
	g := x.Graph()
	in := x.Shape().Dimensions[x.Rank()-1]
	w := variable(scope, g, "weights", shapes.Make(x.DType(), in, out)) // [in, out]
	b := variable(scope, g, "biases", shapes.Make(x.DType(), out))      // [out]
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil)      // [..., out]
	return Add(y, expandLeft(b, y.Rank()))
}

// expandLeft reshapes v [n] to [1, …, 1, n] of the given rank, for the
// same-rank broadcasting of binary ops.
func expandLeft(v *Node, rank int) *Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	dims[rank-1] = v.Shape().Dimensions[0]
	return Reshape(v, dims...)
}

// SiLU is the sigmoid-weighted linear unit (Elfwing et al. 2018), also
// called swish: SiLU(x) = x·σ(x) = x/(1+e^{−x}), element-wise. Ho et al.
// (2020) use it as the U-Net's nonlinearity.
func SiLU(x *Node) *Node {
	return Mul(x, Sigmoid(x))
}

// GELU is the Gaussian error linear unit (Hendrycks & Gimpel 2016,
// arXiv:1606.08415) in its exact form, PyTorch's nn.GELU() default and the
// activation of U-ViT's and DiT's MLPs (DiT: the tanh approximation),
//
//	GELU(x) = x·Φ(x) = x·½(1 + erf(x/√2)),  element-wise.
//
// Written out rather than GoMLX's activation.Gelu, whose fused form we
// have not checked on both backends; Erf has a gradient in GoMLX v0.28.
func GELU(x *Node) *Node {
	return Mul(x, MulScalar(OnePlus(Erf(MulScalar(x, 1/math.Sqrt2))), 0.5))
}
