package nets

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// SelfAttention is the single-head spatial self-attention block of Ho et
// al.'s U-Net (diffusion_tf/models/unet.py, attn_block; Vaswani et al. 2017,
// Eq. 1), over the N = H·W positions of x [B, H, W, C]:
//
//	h = GN(x)                                       [B, N, C]        "norm"
//	q, k, v = h W_q + b_q, h W_k + b_k, h W_v + b_v [B, N, C] each   "q", "k", "v"
//	A = softmax_m(q_n · k_m / √C)                   [B, N, N]
//	y = x + (A v) W_o + b_o                         [B, H, W, C]     "out" (zero-initialised)
//
// Its parameters number 2·C + 4·(C² + C). W_o starts at zero (Ho et al.'s
// init_scale=0), so a new block is the identity. Memory grows as N²: use it
// at low resolutions (Ho et al.: 16×16 on 32×32 images).
func SelfAttention(scope *model.Scope, x *Node, groups int) *Node {
	if x.Rank() != 4 {
		panicf("nets.SelfAttention: x must be [B, H, W, C], got shape %s", x.Shape())
	}
	d := x.Shape().Dimensions
	B, H, W, C := d[0], d[1], d[2], d[3]
	h := Reshape(GroupNorm(scope.At("norm"), x, groups), B, H*W, C) // [B, N, C]
	q := Dense(scope.At("q"), h, C)                                 // [B, N, C]
	k := Dense(scope.At("k"), h, C)                                 // [B, N, C]
	v := Dense(scope.At("v"), h, C)                                 // [B, N, C]
	// gomlxfix.DotGeneral: its gradient holds whatever the pairing of the
	// contracting axes (graph.DotGeneral's of GoMLX v0.28.2 does not).
	logits := gomlxfix.DotGeneral(q, []int{2}, []int{0}, k, []int{2}, []int{0}) // [B, N, N]
	attn := Softmax(MulScalar(logits, 1/math.Sqrt(float64(C))), 2)              // [B, N, N], rows sum to 1
	a := gomlxfix.DotGeneral(attn, []int{2}, []int{0}, v, []int{1}, []int{0})   // [B, N, C]
	o := Dense(scope.At("out").WithInitializer(Zeros), a, C)                    // [B, N, C]
	return Add(x, Reshape(o, B, H, W, C))                                       // [B, H, W, C]
}

// attentionParams is the parameter count of [SelfAttention] on C channels.
func attentionParams(c int) int { return 2*c + 4*(c*c+c) }

// MultiHeadSelfAttention is the multi-head self-attention of Vaswani et
// al. (2017, §3.2.2) over the N tokens of x [B, N, D], with H heads of
// width d = D/H (U-ViT's and DiT's Attention: one qkv projection, one
// output projection):
//
//	q, k, v = split₃(x W_qkv + b_qkv)               [B, N, D] each, "qkv" (D → 3D)
//	q_h, k_h, v_h = head h of each                  [B, H, N, d]
//	A_h = softmax_m(q_h,n · k_h,m / √d)             [B, H, N, N]
//	y = concat_h(A_h v_h) W_o + b_o                 [B, N, D], "proj"
//
// x [B, N, D] → y [B, N, D], with no residual (the caller adds it). Its
// parameters number 4·(D² + D). The qkv projection has a bias as DiT's
// (timm's qkv_bias=True); U-ViT's configurations drop it. Both products are
// DotGenerals with batch axes (B, H) and one contracting axis on each side
// (gomlxfix.DotGeneral, as [SelfAttention]: its gradient holds whatever the
// pairing). It panics unless x is [B, N, D] with D a multiple of heads.
func MultiHeadSelfAttention(scope *model.Scope, x *Node, heads int) *Node {
	if x.Rank() != 3 || heads < 1 || x.Shape().Dimensions[2]%heads != 0 {
		panicf("nets.MultiHeadSelfAttention: want x [B, N, D] with D a multiple of heads ≥ 1, got shape %s and heads=%d", x.Shape(), heads)
	}
	d := x.Shape().Dimensions
	B, N, D := d[0], d[1], d[2]
	H, dh := heads, D/heads
	qkv := Reshape(Dense(scope.At("qkv"), x, 3*D), B, N, 3, H, dh) // [B, N, 3, H, d]
	qkv = TransposeAllAxes(qkv, 2, 0, 3, 1, 4)                     // [3, B, H, N, d]
	part := func(i int) *Node {
		return Reshape(Slice(qkv, AxisRange(i, i+1)), B, H, N, dh) // [B, H, N, d]
	}
	q, k, v := part(0), part(1), part(2)
	logits := gomlxfix.DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}) // [B, H, N, N]
	attn := Softmax(MulScalar(logits, 1/math.Sqrt(float64(dh))), 3)                   // [B, H, N, N], rows sum to 1
	a := gomlxfix.DotGeneral(attn, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})   // [B, H, N, d]
	a = Reshape(TransposeAllAxes(a, 0, 2, 1, 3), B, N, D)                             // [B, N, H·d]
	return Dense(scope.At("proj"), a, D)                                              // [B, N, D]
}

// multiHeadAttentionParams is the parameter count of [MultiHeadSelfAttention] on width D.
func multiHeadAttentionParams(d int) int { return 4 * (d*d + d) }
