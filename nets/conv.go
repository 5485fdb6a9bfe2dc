package nets

import (
	"fmt"
	"os"
	"slices"
	"strings"

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
	// ConvKShift is ConvHybrid with the kernel gradient taken as k² matrix
	// products of shifted views of the padded input, with no im2col
	// patches (see [convCustomGrad]).
	ConvKShift
	// ConvXFwd is ConvHybrid with the input gradient taken as a forward
	// convolution (NHWC input, HWIO kernel, no input dilation) of the
	// zero-interleaved, zero-padded output gradient (see [convCustomGrad]).
	ConvXFwd
	// ConvXFwdKShift is ConvXFwd's input gradient with ConvKShift's kernel
	// gradient.
	ConvXFwdKShift
)

// convAlgoNames are the algorithms' names, by value (String, ParseConvAlgo).
var convAlgoNames = []string{
	ConvAuto:       "auto",
	ConvIm2Col:     "im2col",
	ConvNative:     "native",
	ConvHybrid:     "hybrid",
	ConvKShift:     "kshift",
	ConvXFwd:       "xfwd",
	ConvXFwdKShift: "xfwd-kshift",
}

func (a ConvAlgo) String() string {
	if a.valid() {
		return convAlgoNames[a]
	}
	return fmt.Sprintf("ConvAlgo(%d)", int(a))
}

// valid says whether a is one of the algorithms above.
func (a ConvAlgo) valid() bool { return a >= 0 && int(a) < len(convAlgoNames) }

// ParseConvAlgo returns the algorithm named name (its String).
func ParseConvAlgo(name string) (ConvAlgo, error) {
	if i := slices.Index(convAlgoNames, name); i >= 0 {
		return ConvAlgo(i), nil
	}
	return ConvAuto, fmt.Errorf("nets: %q is not a convolution algorithm: use one of %s", name, strings.Join(convAlgoNames, ", "))
}

// ConvAlgoEnv names the environment variable that chooses what [ConvAuto]
// resolves to, for timing a whole training step with each algorithm
// (scripts/conv-algo-bench.sh):
//
//	DDPM_CONV_ALGO=xfwd go test ./nets -run '^$' -bench TrainStepImagesPerSec
//
// Its value is an algorithm's name (ConvAlgo.String: auto, im2col, native,
// hybrid, kshift, xfwd, xfwd-kshift); unset, empty or "auto" keeps the
// default of [ConvAlgo.Resolve]. It changes every ConvAuto convolution of
// the process (the MNIST classifier's too); an explicit algorithm in a
// configuration is not overridden. All algorithms compute the same
// function to float32 rounding, so weights trained with one sample with
// any other.
const ConvAlgoEnv = "DDPM_CONV_ALGO"

// ConvAlgoFromEnv is the algorithm $DDPM_CONV_ALGO names, ConvAuto when it
// is unset, empty or "auto", or a one-line error for any other value. The
// network configurations' Validate methods call it, so a bad value stops a
// command before any work.
func ConvAlgoFromEnv() (ConvAlgo, error) {
	v := os.Getenv(ConvAlgoEnv)
	if v == "" {
		return ConvAuto, nil
	}
	a, err := ParseConvAlgo(v)
	if err != nil {
		return ConvAuto, fmt.Errorf("nets: %s=%q is not a convolution algorithm: set one of %s, or unset it for the default", ConvAlgoEnv, v, strings.Join(convAlgoNames, ", "))
	}
	return a, nil
}

// Resolve returns the algorithm used on the graph g's backend: a itself,
// or for ConvAuto, the algorithm $DDPM_CONV_ALGO names ([ConvAlgoEnv]; it
// panics with ConvAlgoFromEnv's error on an unknown name) or by default
// ConvIm2Col on the pure-Go backend, ConvHybrid on XLA CPU and ConvNative
// elsewhere (GPUs). Training and inference take the same path, so sampling
// computes exactly the function that was trained.
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
	if env, err := ConvAlgoFromEnv(); err != nil {
		panic(err)
	} else if env != ConvAuto {
		return env
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
	switch resolved := algo.Resolve(g); {
	case k == 1:
		xs := x
		if stride > 1 {
			xs = Slice(x, AxisRange(), AxisRange().Stride(stride), AxisRange().Stride(stride), AxisRange())
		}
		y = DotGeneral(xs, []int{3}, nil, Reshape(kernel, cin, out), []int{0}, nil) // [B, Ho, Wo, out]
	case resolved == ConvNative:
		y = convolve(x, kernel, stride) // [B, Ho, Wo, out]
	case resolved == ConvHybrid:
		y = convHybrid(x, kernel, stride) // [B, Ho, Wo, out]
	case resolved == ConvKShift:
		y = convCustomGrad(x, kernel, stride, false, true) // [B, Ho, Wo, out]
	case resolved == ConvXFwd:
		y = convCustomGrad(x, kernel, stride, true, false) // [B, Ho, Wo, out]
	case resolved == ConvXFwdKShift:
		y = convCustomGrad(x, kernel, stride, true, true) // [B, Ho, Wo, out]
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
	H, W := x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	p := (k - 1) / 2
	Ho, Wo := (H+2*p-k)/stride+1, (W+2*p-k)/stride+1
	if Ho < 1 || Wo < 1 {
		panicf("nets.Im2Col: image %d×%d too small for a %d×%d kernel with padding %d", H, W, k, k, p)
	}
	xp := padZeros(x, p) // [B, H+2p, W+2p, C]
	cols := make([]*Node, 0, k*k)
	for dy := range k {
		for dx := range k {
			cols = append(cols, shifted(xp, dy, dx, Ho, Wo, stride)) // [B, Ho, Wo, C]
		}
	}
	return Concatenate(cols, 3) // [B, Ho, Wo, k·k·C]
}

// padZeros is x [B, H, W, C] zero-padded by p on each side of both spatial
// axes, [B, H+2p, W+2p, C], by concatenation (graph.Pad has no gradient in
// GoMLX v0.28.0).
func padZeros(x *Node, p int) *Node {
	if p == 0 {
		return x
	}
	dims := x.Shape().Dimensions
	B, H, W, C := dims[0], dims[1], dims[2], dims[3]
	zh := Zeros(x.Graph(), shapes.Make(x.DType(), B, p, W, C))
	xp := Concatenate([]*Node{zh, x, zh}, 1) // [B, H+2p, W, C]
	zw := Zeros(x.Graph(), shapes.Make(x.DType(), B, H+2*p, p, C))
	return Concatenate([]*Node{zw, xp, zw}, 2) // [B, H+2p, W+2p, C]
}

// shifted is the view xp[:, dy::s, dx::s, :] of a padded image, Ho × Wo
// pixels: the pixels that kernel tap (dy, dx) meets, [B, Ho, Wo, C].
func shifted(xp *Node, dy, dx, Ho, Wo, stride int) *Node {
	return Slice(xp, AxisRange(),
		AxisRange(dy, dy+stride*(Ho-1)+1).Stride(stride),
		AxisRange(dx, dx+stride*(Wo-1)+1).Stride(stride),
		AxisRange())
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
	return convCustomGrad(x, kernel, stride, false, false)
}

// convCustomGrad is [convolve] in the forward pass, differentiated like
// [convHybrid] but with either or both of its gradients computed another
// way (ConvKShift: kShift; ConvXFwd: xFwd; ConvXFwdKShift: both;
// ConvHybrid: neither). With
// G = ∂L/∂y [B, Ho, Wo, out], x̃ = x zero-padded by p = (k−1)/2 and
// s the stride (Goodfellow, Bengio & Courville (2016), Deep Learning, §9.5,
// Eqs. (9.8), (9.11) and (9.13) in our layout):
//
// kShift, Eq. (9.11) as k² matrix products of shifted views, with no im2col
// patches:
//
//	∂L/∂K[dy, dx] = Σ_{b, i, j} x̃[b, s·i+dy, s·j+dx, :]ᵀ G[b, i, j, :]   ([Cin, out] for each dy, dx < k).
//
// The decomposed graph's kernel term is Σ_{dy,dx} x̃_{dy,dx}·K[dy,dx] −
// sg(same), x̃_{dy,dx} = sg(x̃)[:, dy::s, dx::s, :] (see [shiftedProducts]),
// whose gradient with respect to K is exactly those k² products.
//
// xFwd, Eq. (9.13) as one forward convolution (see [inputGradForward]):
//
//	∂L/∂x[b, m, n, c] = Σ_{dy, dx < k} Σ_o G̃[b, m+dy, n+dx, o] · K[k−1−dy, k−1−dx, c, o],
//
// G̃ the output gradient stretched by s (s−1 zeros between neighbours)
// and zero-padded by p before and p+a after, a = (H+2p−k) mod s (likewise
// for W): the transposed convolution of Dumoulin & Visin (2016), "A guide
// to convolution arithmetic for deep learning", Relationship 14. It is a
// convolution with NHWC input and HWIO kernel, no input dilation and no
// window reversal, the layout of XLA CPU's fast convolution path
// (xla/service/cpu/ir_emission_utils.cc), where GoMLX's gradient of
// Convolve reverses the kernel, declares its channel axes swapped (an HWOI
// kernel) and dilates its input for strided layers (jax-ml/jax#31662 reports the latter slow
// on XLA CPU). GoMLX v0.28 has custom gradients only for identities, so the
// decomposed graph's input term is
//
//	y_x = I_G(conv(I_x(x), sg(K))),
//
// I_G an identity whose gradient records its incoming adjoint G and passes
// it on, and I_x an identity whose gradient ignores its incoming adjoint
// (GoMLX's transposed convolution, left as dead code that XLA removes) and
// returns the convolution above of the recorded G. Reverse autodiff visits
// nodes from the last built to the first (graph.Gradient), so I_G, built
// after I_x, always records G before I_x needs it.
//
// Either way the decomposed graph's value is conv(x, K), as ConvHybrid's,
// and TestConv2DPathsAgree checks value and both gradients against a
// float64 reference.
func convCustomGrad(x, kernel *Node, stride int, xFwd, kShift bool) *Node {
	H, W := x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	k, cin, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[2], kernel.Shape().Dimensions[3]
	decomposed := func() *Node {
		xi := x
		var adjoint *Node // G = ∂L/∂y, recorded by I_G for I_x
		if xFwd {
			xi = IdentityWithCustomGradient(x, func(_, _ *Node) *Node { // I_x
				if adjoint == nil {
					panicf("nets.Conv2D: reverse autodiff reached the convolution's input before its output (GoMLX's graph.Gradient no longer visits nodes from the last built to the first): use another ConvAlgo")
				}
				g := adjoint
				adjoint = nil
				return inputGradForward(g, kernel, H, W, stride) // [B, H, W, Cin]
			})
		}
		yx := convolve(xi, StopGradient(kernel), stride) // [B, Ho, Wo, out]: d/dx
		if xFwd {
			yx = IdentityWithCustomGradient(yx, func(_, v *Node) *Node { adjoint = v; return v }) // I_G
		}
		var yk *Node // [B, Ho, Wo, out]: d/dK
		if kShift {
			yk = shiftedProducts(StopGradient(x), kernel, stride)
		} else {
			patches := Im2Col(StopGradient(x), k, stride)                                         // [B, Ho, Wo, k·k·Cin]
			yk = DotGeneral(patches, []int{3}, nil, Reshape(kernel, k*k*cin, out), []int{0}, nil) // [B, Ho, Wo, out]
		}
		return Add(yx, Sub(yk, StopGradient(yk)))
	}
	y, _ := InternalFusedOpCaller(func() *Node { return convolve(x, kernel, stride) }, decomposed, true)
	return y
}

// shiftedProducts is the convolution as k² matrix products of shifted
// views of the padded input,
//
//	Σ_{dy, dx < k} x̃[:, dy::s, dx::s, :] · K[dy, dx],   x̃ = x zero-padded by p = (k−1)/2,
//
// x [B, H, W, Cin], kernel [k, k, Cin, out] → [B, Ho, Wo, out]: Conv2D's
// definition summed tap by tap. Its gradient with respect to K[dy, dx] is
// the matrix product x̃[:, dy::s, dx::s, :]ᵀ · ∂L/∂y over (b, i, j).
func shiftedProducts(x, kernel *Node, stride int) *Node {
	dims := x.Shape().Dimensions
	H, W := dims[1], dims[2]
	k, cin, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[2], kernel.Shape().Dimensions[3]
	p := (k - 1) / 2
	Ho, Wo := (H+2*p-k)/stride+1, (W+2*p-k)/stride+1
	xp := padZeros(x, p) // [B, H+2p, W+2p, Cin]
	var y *Node
	for dy := range k {
		for dx := range k {
			tap := Reshape(Slice(kernel, AxisRange(dy, dy+1), AxisRange(dx, dx+1), AxisRange(), AxisRange()), cin, out) // [Cin, out]
			t := DotGeneral(shifted(xp, dy, dx, Ho, Wo, stride), []int{3}, nil, tap, []int{0}, nil)                     // [B, Ho, Wo, out]
			if y == nil {
				y = t
			} else {
				y = Add(y, t)
			}
		}
	}
	return y
}

// inputGradForward is ∂L/∂x of Conv2D (stride s, "same" padding
// p = (k−1)/2, input H × W) from g = ∂L/∂y [B, Ho, Wo, out], as one
// forward convolution with stride 1 (see [convCustomGrad], Eq. (9.13) of
// Goodfellow et al. (2016) and Relationship 14 of Dumoulin & Visin (2016)):
//
//	G̃ = g with s−1 zeros after each entry of both spatial axes   [B, s·Ho, s·Wo, out],
//	K' [dy, dx, o, c] = K[k−1−dy, k−1−dx, c, o]                   [k, k, out, Cin],
//	∂L/∂x = conv(G̃, K') with padding p before, H+p−s·Ho after (W likewise)   [B, H, W, Cin].
//
// s·Ho = s(Ho−1)+1 + (s−1): the stretched gradient of Relationship 14 plus
// s−1 trailing zeros, so the padding after is its p + a less those zeros
// (a = (H+2p−k) mod s); where that is negative, the surplus trailing zeros
// are sliced off instead (only when s > p+1). The zeros are interleaved by
// concatenation and reshape, not by the convolution's input dilation.
func inputGradForward(g, kernel *Node, H, W, stride int) *Node {
	dims := g.Shape().Dimensions
	B, Ho, Wo, O := dims[0], dims[1], dims[2], dims[3]
	k := kernel.Shape().Dimensions[0]
	p := (k - 1) / 2
	gd := g // [B, s·Ho, s·Wo, out]
	if s := stride; s > 1 {
		gd = Reshape(g, B, Ho, 1, Wo, 1, O)
		gd = Concatenate([]*Node{gd, Zeros(g.Graph(), shapes.Make(g.DType(), B, Ho, s-1, Wo, 1, O))}, 2) // [B, Ho, s, Wo, 1, out]
		gd = Concatenate([]*Node{gd, Zeros(g.Graph(), shapes.Make(g.DType(), B, Ho, s, Wo, s-1, O))}, 4) // [B, Ho, s, Wo, s, out]
		gd = Reshape(gd, B, s*Ho, s*Wo, O)
	}
	afterH, afterW := H+p-stride*Ho, W+p-stride*Wo
	if afterH < 0 || afterW < 0 {
		gd = Slice(gd, AxisRange(), AxisRange(0, stride*Ho+min(afterH, 0)), AxisRange(0, stride*Wo+min(afterW, 0)), AxisRange())
		afterH, afterW = max(afterH, 0), max(afterW, 0)
	}
	flipped := Transpose(Reverse(kernel, 0, 1), 2, 3)                                     // [k, k, out, Cin]
	return Convolve(gd, flipped).PaddingPerDim([][2]int{{p, afterH}, {p, afterW}}).Done() // [B, H, W, Cin]
}
