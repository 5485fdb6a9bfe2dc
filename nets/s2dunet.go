package nets

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// S2DUNetConfig configures the space-to-depth U-Net: the image is cut into
// p×p blocks whose pixels become channels (pixel-unshuffle), the U-Net of
// [UNetConfig] runs on that p-times smaller, p²-times deeper image, and
// its output goes back to full resolution the same way (depth-to-space):
//
//	x [B, S, S, C] → SpaceToDepth(p)                       [B, S/p, S/p, p²·C]
//	  → the U-Net of UNetConfig at side S/p, p²·C channels  [B, S/p, S/p, p²·O]
//	  → DepthToSpace(p)                                     [B, S, S, O]
//
// (O = OutChannels: C for ε̂, 2C with a learned variance.) This is the
// "shallow" first stage that Hoogeboom et al. (2023, "simple diffusion",
// §3.1–3.2) replace by a space-to-depth layer: at the same cost per step a
// network of fewer pixels can be wider, and on a CPU its convolutions run
// on fewer, deeper feature maps (nets' throughput probe, BenchmarkTrainStepImagesPerSec,
// in docs/cpu.md's table of the architectures: base 32 on 14²×4 trains 624
// images/s against the 28² base-16 U-Net's 435 at batch 32). Patch Diffusion (Wang et al. 2023) and
// the patch embeddings of ViT-style diffusion models (U-ViT, DiT) make the
// same trade. Space-to-depth has no parameters: the count is the inner
// U-Net's.
//
// The embedded UNetConfig holds the inner U-Net's settings, with the same
// flags (-base, -mults, -groups, -attention, -dropout); its ImageSize,
// InChannels and OutChannels are those of the data at full resolution, and
// AttentionRes names sides of the inner U-Net (S/p/2^l: with p = 2 on 28²,
// "7" is its second level). The defaults differ from the U-Net's where the
// smaller image asks for it: Patch 2, Base 16·Patch (channels grow as
// pixels shrink: 32 at p = 2, 64 at p = 4), Mults [1, 2] when S/p is even,
// else [1]; Groups 8, TimeEmbedDim 32 as the U-Net.
//
// The default, on 28×28×1 (p = 2, base 32, mults 1,2; U-Net at 14×14×4;
// scope names in quotes as in [UNetConfig]):
//
//	x [B, 28, 28, 1] → space-to-depth 2                      [B, 14, 14, 4]
//	t → sinusoidal(t, 32) → Dense 32→128 → SiLU → Dense 128→128  [B, 128]  "time/…"        20,736
//	in:      Conv3×3 4→32                                    [B, 14, 14, 32]  "in"            1,184
//	level 0: ResBlock 32→32 = skip0                          [B, 14, 14, 32]  "down0/res"    22,752
//	         Conv3×3 stride 2                                [B, 7, 7, 32]    "down0/downsample"  9,248
//	level 1: ResBlock 32→64 = skip1                          [B, 7, 7, 64]    "down1/res"    65,984
//	middle:  ResBlock 64→64, ResBlock 64→64                  [B, 7, 7, 64]    "mid/…"       164,736
//	up 1:    concat(h, skip1) → ResBlock 128→64              [B, 7, 7, 64]    "up1/res"     127,616
//	         nearest ×2 → Conv3×3                            [B, 14, 14, 64]  "up1/upsample"  36,928
//	up 0:    concat(h, skip0) → ResBlock 96→32               [B, 14, 14, 32]  "up0/res"      44,416
//	out:     GroupNorm(8) → SiLU → Conv3×3 32→4 (zero-init)  [B, 14, 14, 4]   "out/…"         1,220
//	         depth-to-space 2                                [B, 28, 28, 1]
//	                                                                                    total 494,820
//
// Parameter counts on MNIST (28×28×1, ε̂ output, unconditional; each is
// [S2DUNetConfig.NumParameters], checked against the store by the tests):
//
//	patch  base  mults  attention  U-Net input  its levels          parameters
//	2      32    1,2    —          14²×4        14²×32, 7²×64         494,820  (the default)
//	2      32    1,2    7          14²×4        14²×32, 7²×64         545,124
//	2      48    1,2    7          14²×4        14²×48, 7²×96       1,218,580
//	4      64    1      —          7²×16        7²×64                 500,368
//	4      64    1      7          7²×16        7²×64                 550,672
//	4      96    1      7          7²×16        7²×96               1,216,144
//	4      128   1      —          7²×16        7²×128              1,942,800
//
// (At p = 4 on 28² the inner side 7 is odd: one level only, Validate
// refuses more.)
//
// References: E. Hoogeboom, J. Heek, T. Salimans. simple diffusion:
// End-to-end diffusion for high resolution images. ICML 2023.
// arXiv:2301.11093. Z. Wang et al. Patch Diffusion: Faster and More
// Data-Efficient Training of Diffusion Models. NeurIPS 2023.
// arXiv:2304.12526. W. Shi et al. (pixel shuffle) Real-Time Single Image
// and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional
// Neural Network. CVPR 2016. arXiv:1609.05158.
type S2DUNetConfig struct {
	UNetConfig
	// Patch is the side p of the blocks turned into channels: the inner
	// U-Net sees [S/p, S/p, p²·C]. It must divide the image side; default 2.
	Patch int `flag:"patch,zerodefault" usage:"patch side p: the image is cut into p×p blocks, s2d-unet's channels or uvit's tokens (p must divide the side)"`
}

func init() {
	Register(S2DUNetConfig{}, true, "space-to-depth by p (Hoogeboom et al. 2023), the U-Net at side S/p on p²·C channels, depth-to-space out (494,820 parameters by default)")
}

// Name is the network's name in the registry ([Register]) and in weight files.
func (S2DUNetConfig) Name() string { return "s2d-unet" }

// For completes c for spec's images [S, S, C] (ImageSize S, InChannels C,
// OutChannels C or 2C, NumClasses) with the defaults, and checks it; a
// Patch that does not divide S is a *field.Error on Patch.
func (c S2DUNetConfig) For(spec Spec) (Network, error) {
	side, ch, err := imageSpec("the space-to-depth U-Net", spec)
	if err != nil {
		return nil, err
	}
	if err := fitSpec("S2DUNetConfig", &c.ImageSize, &c.InChannels, &c.OutChannels, &c.NumClasses, side, ch, spec); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// WithDefaults returns c with its zero fields set to the defaults (see
// [S2DUNetConfig]).
func (c S2DUNetConfig) WithDefaults() S2DUNetConfig {
	if c.Patch == 0 {
		c.Patch = 2
	}
	if c.ImageSize == 0 {
		c.ImageSize = 28
	}
	if c.Base == 0 {
		c.Base = 16 * c.Patch
	}
	if len(c.Mults) == 0 {
		c.Mults = []int{1, 2}
		if p := c.Patch; p < 1 || c.ImageSize%p != 0 || (c.ImageSize/p)%2 != 0 {
			c.Mults = []int{1}
		}
	}
	c.UNetConfig = c.UNetConfig.WithDefaults() // Groups, InChannels, TimeEmbedDim, OutChannels; copies the slices
	return c
}

// Inner is the U-Net that runs on the space-to-depth image: side S/p,
// p²·InChannels in, p²·OutChannels out, the rest as c's.
func (c S2DUNetConfig) Inner() UNetConfig {
	c = c.WithDefaults()
	u := c.UNetConfig
	p := c.Patch
	u.ImageSize, u.InChannels, u.OutChannels = c.ImageSize/max(p, 1), p*p*c.InChannels, p*p*c.OutChannels
	return u
}

// Validate checks a configuration (after defaults); the error is a
// *field.Error naming the first wrong field: S2DUNetConfig's own (Patch,
// and the data's sizes), or UNetConfig's for the inner U-Net's settings
// (Base, Mults, Groups, AttentionRes, …), which is where their flags live.
func (c S2DUNetConfig) Validate() error {
	c = c.WithDefaults()
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("nets", "S2DUNetConfig", name, v, want, args...)
	}
	p, S := c.Patch, c.ImageSize
	switch {
	case p < 1 || p > 8:
		return bad("Patch", p, "must lie in [1, 8]")
	case S < 1 || S > MaxImage:
		return bad("ImageSize", S, "must lie in [1, %d]", MaxImage)
	case c.InChannels < 1 || c.InChannels > MaxChannels:
		return bad("InChannels", c.InChannels, "must lie in [1, %d]", MaxChannels)
	case c.OutChannels < 1 || c.OutChannels > 2*MaxChannels:
		return bad("OutChannels", c.OutChannels, "must lie in [1, %d]", 2*MaxChannels)
	case S%p != 0:
		return bad("Patch", p, "does not divide the image side %d: use a divisor of it (2 or 4 on 28×28)", S)
	case p*p*c.InChannels > MaxChannels || p*p*c.OutChannels > 2*MaxChannels:
		return bad("Patch", p, "makes %d input channels (p²·%d), more than %d", p*p*c.InChannels, c.InChannels, MaxChannels)
	}
	if L := len(c.Mults); L >= 1 && L <= MaxLevels && (S/p)%(1<<(L-1)) != 0 {
		return field.New("nets", "UNetConfig", "Mults", joinInts(c.Mults), "has %d levels, which halve the side %d/%d = %d of the space-to-depth image %d times, but %d is not a multiple of %d: use fewer levels or a smaller patch", L, S, p, S/p, L-1, S/p, 1<<(L-1))
	}
	return c.Inner().Validate()
}

// NumParameters is the inner U-Net's count (space-to-depth has no parameters).
func (c S2DUNetConfig) NumParameters() int { return c.Inner().NumParameters() }

// ExampleDims are [ImageSize, ImageSize, InChannels].
func (c S2DUNetConfig) ExampleDims() []int {
	c = c.WithDefaults()
	return []int{c.ImageSize, c.ImageSize, c.InChannels}
}

// Summary names the sizes of c.
func (c S2DUNetConfig) Summary() string {
	c = c.WithDefaults()
	u := c.Inner()
	att := ""
	if len(c.AttentionRes) > 0 {
		att = ", attention at " + joinInts(c.AttentionRes)
	}
	return fmt.Sprintf("patch %d, base %d, mults %s%s, %d×%d×%d (U-Net on %d×%d×%d)", c.Patch, c.Base, joinInts(c.Mults), att,
		c.ImageSize, c.ImageSize, c.InChannels, u.ImageSize, u.ImageSize, u.InChannels)
}

// Net returns the network as a [ddpm.Net]: xt [B, S, S, InChannels]
// float32, t [B] int32 → [B, S, S, OutChannels]; the null label for a
// class-conditional configuration. It panics if the configuration is
// invalid ([S2DUNetConfig.Validate]) or, when building the graph, if xt or
// t have other shapes.
func (c S2DUNetConfig) Net() ddpm.Net {
	cond := c.CondNet()
	return func(scope *model.Scope, xt, t *Node) *Node { return cond(scope, xt, t, nil) }
}

// CondNet returns the network as a [ddpm.CondNet]: as [S2DUNetConfig.Net],
// with the labels y [B] int32 given to the inner U-Net ([UNetConfig.CondNet]).
func (c S2DUNetConfig) CondNet() ddpm.CondNet {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	inner := c.Inner().CondNet()
	return func(scope *model.Scope, xt, t, y *Node) *Node {
		S, C, p := c.ImageSize, c.InChannels, c.Patch
		if xt.Rank() != 4 || xt.Shape().Dimensions[1] != S || xt.Shape().Dimensions[2] != S || xt.Shape().Dimensions[3] != C {
			panicf("nets.S2DUNet: xt must be [B, %d, %d, %d] (NHWC), got shape %s", S, S, C, xt.Shape())
		}
		h := SpaceToDepth(xt, p)  // [B, S/p, S/p, p²·C]
		h = inner(scope, h, t, y) // [B, S/p, S/p, p²·OutChannels]
		return DepthToSpace(h, p) // [B, S, S, OutChannels]
	}
}

// SpaceToDepth moves each p×p block of pixels into the channels
// (pixel-unshuffle; TensorFlow's tf.nn.space_to_depth in NHWC):
//
//	y[b, i, j, (dy·p + dx)·C + c] = x[b, p·i + dy, p·j + dx, c],   0 ≤ dy, dx < p,
//
// x [B, H, W, C] → y [B, H/p, W/p, p²·C], the channel order (dy, dx, c)
// that [Im2Col] gives its patches. p = 1 returns x. It panics unless x has
// rank 4 and p ≥ 1 divides H and W.
func SpaceToDepth(x *Node, p int) *Node {
	if x.Rank() != 4 || p < 1 || x.Shape().Dimensions[1]%p != 0 || x.Shape().Dimensions[2]%p != 0 {
		panicf("nets.SpaceToDepth: want x [B, H, W, C] with H and W multiples of p ≥ 1, got shape %s and p=%d", x.Shape(), p)
	}
	if p == 1 {
		return x
	}
	d := x.Shape().Dimensions
	B, H, W, C := d[0], d[1], d[2], d[3]
	h := Reshape(x, B, H/p, p, W/p, p, C)     // [B, i, dy, j, dx, c]
	h = TransposeAllAxes(h, 0, 1, 3, 2, 4, 5) // [B, i, j, dy, dx, c]
	return Reshape(h, B, H/p, W/p, p*p*C)     // [B, H/p, W/p, p²·C]
}

// DepthToSpace is the inverse of [SpaceToDepth] (pixel shuffle, Shi et al.
// 2016; tf.nn.depth_to_space):
//
//	y[b, p·i + dy, p·j + dx, c] = x[b, i, j, (dy·p + dx)·C + c],
//
// x [B, h, w, p²·C] → y [B, p·h, p·w, C]. It panics unless x has rank 4 and
// its channels are a multiple of p².
func DepthToSpace(x *Node, p int) *Node {
	if x.Rank() != 4 || p < 1 || x.Shape().Dimensions[3]%(p*p) != 0 {
		panicf("nets.DepthToSpace: want x [B, h, w, p²·C] with p ≥ 1, got shape %s and p=%d", x.Shape(), p)
	}
	if p == 1 {
		return x
	}
	d := x.Shape().Dimensions
	B, h, w, C := d[0], d[1], d[2], d[3]/(p*p)
	y := Reshape(x, B, h, w, p, p, C)         // [B, i, j, dy, dx, c]
	y = TransposeAllAxes(y, 0, 1, 3, 2, 4, 5) // [B, i, dy, j, dx, c]
	return Reshape(y, B, h*p, w*p, C)         // [B, p·h, p·w, C]
}
