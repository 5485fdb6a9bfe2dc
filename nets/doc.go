// Package nets holds the denoising networks ε_θ(x_t, t) used with package
// ddpm: each constructor returns a [ddpm.Net],
//
//	func(scope *model.Scope, xt, t *Node) *Node   // xt [B, …] float32, t [B] int32 → [B, …]
//
// whose variables are created under scope on the first graph build.
//
//   - [TimestepEmbedding]: the sinusoidal embedding of t (Vaswani et al. 2017,
//     §3.5, as in Ho et al.'s `get_timestep_embedding`).
//   - [MLPConfig]: the ε-MLP for 2-D toy data (141,058 parameters by default).
//   - [UNetConfig]: the ε-U-Net for 28×28 MNIST (776,929 parameters by
//     default), a smaller cousin of Ho et al.'s (2020, Appendix B) PixelCNN++-style
//     U-Net, built from [Conv2D], [GroupNorm], [ResBlock], [SelfAttention],
//     [Downsample] and [Upsample].
//   - [S2DUNetConfig]: the same U-Net on a space-to-depth image (p×p
//     pixels to channels, [SpaceToDepth] and [DepthToSpace]; Hoogeboom et
//     al. 2023): on 28×28 with p = 2 it runs at 14×14×4 (494,820
//     parameters by default), the shapes a 2-core CPU trains fastest.
//   - [UViTConfig]: a small U-ViT (Bao et al. 2023) on p×p patches, with
//     the time and the label as tokens and long skips (1,518,224
//     parameters by default), built from [LayerNorm],
//     [MultiHeadSelfAttention], [GELU] and [Dense]: matrix products, which
//     XLA CPU runs at PyTorch's speed.
//
// Every network is a configuration struct implementing [Network],
// registered by name in an init function ([Register]): "mlp", "unet",
// "s2d-unet", "uvit".
//
// References:
//
//   - J. Ho, A. Jain, P. Abbeel. Denoising Diffusion Probabilistic Models.
//     NeurIPS 2020. arXiv:2006.11239; code github.com/hojonathanho/diffusion
//     (diffusion_tf/models/unet.py, diffusion_tf/nn.py).
//   - A. Vaswani et al. Attention Is All You Need. NeurIPS 2017. arXiv:1706.03762.
//   - Y. Wu, K. He. Group Normalization. ECCV 2018. arXiv:1803.08494.
//   - O. Ronneberger, P. Fischer, T. Brox. U-Net. MICCAI 2015. arXiv:1505.04597.
//   - S. Elfwing, E. Uchibe, K. Doya. Sigmoid-weighted linear units (SiLU).
//     Neural Networks 2018. arXiv:1702.03118.
//   - E. Hoogeboom, J. Heek, T. Salimans. simple diffusion: End-to-end
//     diffusion for high resolution images. ICML 2023. arXiv:2301.11093.
//   - F. Bao et al. All are Worth Words: A ViT Backbone for Diffusion
//     Models (U-ViT). CVPR 2023. arXiv:2209.12152.
//   - W. Peebles, S. Xie. Scalable Diffusion Models with Transformers (DiT).
//     ICCV 2023. arXiv:2212.09748.
//   - J. L. Ba, J. R. Kiros, G. E. Hinton. Layer Normalization. 2016.
//     arXiv:1607.06450.
//   - D. Hendrycks, K. Gimpel. Gaussian Error Linear Units (GELUs). 2016.
//     arXiv:1606.08415.
//
// Conventions. Images are NHWC, [B, H, W, C], with data in [−1, 1]. t holds
// array indices 0…T−1 (paper step = index+1); like Ho et al.'s code, the
// networks embed the index itself. Variable names follow GoMLX's layers
// ("weights", "biases"), so a store reads like one built by package layers.
// Sub-scopes are entered with [model.Scope.At], not In: a sampler may call
// the same network twice on the same scope (the loop body and a last
// denoising step), which In refuses.
//
// Graph-building functions panic, with what they expected and what they got,
// on wrong shapes or configurations (GoMLX's convention).
//
// Workarounds of GoMLX and go-xla bugs live in internal/gomlxfix, each with
// its canary; those that need no private access and only constrain how a
// layer is written are stated where they apply: GoMLX v0.28 has no gradient
// for Pad and Rsqrt (we pad by Concatenate and divide by Sqrt, in
// [GroupNorm] and [LayerNorm]) and no GroupNorm ([GroupNorm]); its
// built-in convolution is ~30× slower than
// im2col on the pure-Go backend ([Conv2D]); inside a sampler's graph.While
// body a layer reads its variables through capture.go's variable, which
// gomlxfix.WhileVariables feeds.
package nets

import "fmt"

func panicf(format string, args ...any) {
	panic(fmt.Errorf(format, args...))
}
