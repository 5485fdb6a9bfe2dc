package nets

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
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
