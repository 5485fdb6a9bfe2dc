package nets

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ConvAlgo chooses how [Conv2D] computes a convolution. All algorithms give
// the same result (to float32 rounding) from the same variables.
type ConvAlgo int

const (
	// ConvAuto (the default): see [ConvAlgo.Resolve].
	ConvAuto ConvAlgo = iota
	// ConvIm2Col builds the convolution in the graph from zero padding,
	// k² shifted slices and one matrix product (see [Conv2D]).
	ConvIm2Col
	// ConvNative calls the backend's convolution (graph.Convolve), and
	// GoMLX differentiates it as convolutions too.
	ConvNative
	// ConvHybrid is ConvNative's forward pass with the gradients of
	// [convHybrid]: the input gradient as the backend's transposed
	// convolution, the kernel gradient as one matrix product of the im2col
	// patches.
	ConvHybrid
)

func (a ConvAlgo) String() string {
	switch a {
	case ConvAuto:
		return "auto"
	case ConvIm2Col:
		return "im2col"
	case ConvNative:
		return "native"
	case ConvHybrid:
		return "hybrid"
	}
	return fmt.Sprintf("ConvAlgo(%d)", int(a))
}

// Resolve returns the algorithm used on the graph g's backend: a itself,
// or for ConvAuto, ConvIm2Col on the pure-Go backend, ConvHybrid on XLA CPU
// and ConvNative elsewhere (GPUs). Training and inference take the same
// path, so sampling computes exactly the function that was trained.
//
// Why: the pure-Go backend's convolution is far slower than its matrix
// product (GoMLX v0.28.0); on XLA CPU the native convolution is the fastest
// forward pass but its kernel gradient (a convolution whose window is the
// whole image) is the slowest part of a training step, so ConvHybrid keeps
// the forward and the input gradient native and takes the kernel gradient
// from the im2col matrix product. The README's benchmark section has the
// measurements. GPUs use cuDNN for all three.
func (a ConvAlgo) Resolve(g *Graph) ConvAlgo {
	if a != ConvAuto {
		return a
	}
	switch backend.PlatformOf(g.Backend()) {
	case backend.PlatformGo:
		return ConvIm2Col
	case backend.PlatformXLACPU:
		return ConvHybrid
	}
	return ConvNative
}

// Conv2D is a 2-D convolution (cross-correlation, as in every deep-learning
// library) of NHWC images with "same" zero padding p = (k−1)/2 on each side
// and stride s, plus a bias,
//
//	y[b, i, j, o] = bias[o] + Σ_{dy, dx < k} Σ_c x̃[b, s·i+dy, s·j+dx, c] · K[dy, dx, c, o],
//
// where x̃ is x zero-padded by p (PyTorch's Conv2d(k, stride=s, padding=p)):
// x [B, H, W, Cin] → y [B, ⌊(H+2p−k)/s⌋+1, ⌊(W+2p−k)/s⌋+1, out]. The kernel
// K [k, k, Cin, out] ("weights", initialised by the scope's initializer:
// GoMLX's default He normal N(0, 2/(k²·Cin))) and the bias [out] ("biases")
// live under scope. k must be odd.
//
// ConvIm2Col computes it as one matrix product of the patches,
//
//	P [B, Ho, Wo, k·k·Cin] = concat over (dy, dx) of x̃[:, dy::s, dx::s, :],   y = P · reshape(K, [k·k·Cin, out]) + bias,
//
// because GoMLX v0.28.0's built-in convolution on the pure-Go backend is
// some 35× slower than that (README, "Speed"). The padding is a Concatenate with zeros, not
// graph.Pad, which has no gradient in v0.28.0 (building one panics: `… with
// type "Pad", for which no gradient is defined yet`). A 1×1 convolution is
// the same matrix product with no patches on either path.
func Conv2D(scope *model.Scope, x *Node, out, k, stride int, algo ConvAlgo) *Node {
	if x.Rank() != 4 {
		panicf("nets.Conv2D: x must be [B, H, W, C], got shape %s", x.Shape())
	}
	if out < 1 || k < 1 || k%2 == 0 || stride < 1 {
		panicf("nets.Conv2D: want out ≥ 1, odd kernel size k ≥ 1 and stride ≥ 1, got out=%d, k=%d, stride=%d", out, k, stride)
	}
	g := x.Graph()
	dims := x.Shape().Dimensions
	cin := dims[3]
	kernel := variable(scope, g, "weights", shapes.Make(x.DType(), k, k, cin, out)) // [k, k, Cin, out]
	bias := variable(scope, g, "biases", shapes.Make(x.DType(), out))               // [out]
	var y *Node
	switch {
	case k == 1:
		xs := x
		if stride > 1 {
			xs = Slice(x, AxisRange(), AxisRange().Stride(stride), AxisRange().Stride(stride), AxisRange())
		}
		y = DotGeneral(xs, []int{3}, nil, Reshape(kernel, cin, out), []int{0}, nil) // [B, Ho, Wo, out]
	case algo.Resolve(g) == ConvNative:
		y = convolve(x, kernel, stride) // [B, Ho, Wo, out]
	case algo.Resolve(g) == ConvHybrid:
		y = convHybrid(x, kernel, stride) // [B, Ho, Wo, out]
	default:
		patches := Im2Col(x, k, stride)                                                      // [B, Ho, Wo, k·k·Cin]
		y = DotGeneral(patches, []int{3}, nil, Reshape(kernel, k*k*cin, out), []int{0}, nil) // [B, Ho, Wo, out]
	}
	return Add(y, expandLeft(bias, 4))
}

// Im2Col returns the k×k patches of x zero-padded by p = (k−1)/2 on each
// side, taken with stride s: x [B, H, W, C] → [B, Ho, Wo, k·k·C] with
// Ho = ⌊(H+2p−k)/s⌋+1 (likewise Wo), the last axis ordered (dy, dx, c) like
// a row-major kernel [k, k, C, ·]. The padding is a Concatenate with zeros
// (graph.Pad has no gradient in GoMLX v0.28.0).
func Im2Col(x *Node, k, stride int) *Node {
	if x.Rank() != 4 || k < 1 || k%2 == 0 || stride < 1 {
		panicf("nets.Im2Col: want x [B, H, W, C], odd k ≥ 1 and stride ≥ 1, got shape %s, k=%d, stride=%d", x.Shape(), k, stride)
	}
	dims := x.Shape().Dimensions
	B, H, W, C := dims[0], dims[1], dims[2], dims[3]
	p := (k - 1) / 2
	Ho, Wo := (H+2*p-k)/stride+1, (W+2*p-k)/stride+1
	if Ho < 1 || Wo < 1 {
		panicf("nets.Im2Col: image %d×%d too small for a %d×%d kernel with padding %d", H, W, k, k, p)
	}
	xp := x
	if p > 0 {
		zh := Zeros(x.Graph(), shapes.Make(x.DType(), B, p, W, C))
		xp = Concatenate([]*Node{zh, x, zh}, 1) // [B, H+2p, W, C]
		zw := Zeros(x.Graph(), shapes.Make(x.DType(), B, H+2*p, p, C))
		xp = Concatenate([]*Node{zw, xp, zw}, 2) // [B, H+2p, W+2p, C]
	}
	cols := make([]*Node, 0, k*k)
	for dy := range k {
		for dx := range k {
			cols = append(cols, Slice(xp, AxisRange(),
				AxisRange(dy, dy+stride*(Ho-1)+1).Stride(stride),
				AxisRange(dx, dx+stride*(Wo-1)+1).Stride(stride),
				AxisRange())) // [B, Ho, Wo, C]
		}
	}
	return Concatenate(cols, 3) // [B, Ho, Wo, k·k·C]
}

// convolve is the backend's convolution with "same" padding (k−1)/2:
// x [B, H, W, Cin], kernel [k, k, Cin, out] → [B, Ho, Wo, out].
func convolve(x, kernel *Node, stride int) *Node {
	p := (kernel.Shape().Dimensions[0] - 1) / 2
	return Convolve(x, kernel).StridePerAxis(stride, stride).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
}

// convHybrid is [convolve] in the forward pass, differentiated as
//
//	∂L/∂x = the backend's transposed convolution of ∂L/∂y (GoMLX's gradient of Convolve),
//	∂L/∂K = reshape(Pᵀ · ∂L/∂y),  P [B·Ho·Wo, k·k·Cin] the im2col patches of x (see [Im2Col]).
//
// GoMLX v0.28.0 offers custom gradients only for identity-shaped ops
// (IdentityWithCustomGradient); what it does have is
// graph.InternalFusedOpCaller(fused, decomposed, true), which its own fused
// layers use: the node computes fused() and reverse-mode autodiff
// differentiates the decomposed graph in its place. Our decomposed graph is
//
//	y_alt = conv(x, sg(K)) + (P(sg(x)) · K − sg(P(sg(x)) · K)),   sg = StopGradient,
//
// whose value is conv(x, K) (so it is also right if GoMLX ever falls back to
// it: GOMLX_FUSION=0) and whose gradient has exactly the two terms above.
// Its forward pass is dead code next to fused() and XLA removes it; the
// patches P are computed for the backward pass only. TestConv2DPathsAgree
// checks value and gradients against im2col and a float64 reference.
func convHybrid(x, kernel *Node, stride int) *Node {
	k, cin, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[2], kernel.Shape().Dimensions[3]
	decomposed := func() *Node {
		yx := convolve(x, StopGradient(kernel), stride)                                        // [B, Ho, Wo, out]: d/dx
		patches := Im2Col(StopGradient(x), k, stride)                                          // [B, Ho, Wo, k·k·Cin]
		yk := DotGeneral(patches, []int{3}, nil, Reshape(kernel, k*k*cin, out), []int{0}, nil) // [B, Ho, Wo, out]: d/dK
		return Add(yx, Sub(yk, StopGradient(yk)))
	}
	y, _ := InternalFusedOpCaller(func() *Node { return convolve(x, kernel, stride) }, decomposed, true)
	return y
}
