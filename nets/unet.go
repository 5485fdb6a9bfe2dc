package nets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// UNetConfig configures the ε-U-Net for images, a small version of Ho et
// al.'s (2020, Appendix B) U-Net (itself after PixelCNN++ and Wide ResNets):
// one [ResBlock] per level instead of two, no attention by default, and skip
// connections from the level outputs only. Zero values take the defaults
// given; the defaults are the reference MNIST ε-U-Net (testdata/REFERENCES.md:
// base 32, levels 28²×32, 14²×64, 7²×64, 776,929 parameters). With them,
// [UNetConfig.Net] builds (B = batch, temb = time embedding; scope names in
// quotes):
//
//	t [B] int32 → sinusoidal(t, 32)                                  [B, 32]
//	  → Dense 32→128 → SiLU → Dense 128→128 = temb                   [B, 128]    "time/dense0", "time/dense1"   20,736
//	x [B, 28, 28, 1] → Conv3×3 1→32                                  [B, 28, 28, 32]  "in"                       320
//	level 0: ResBlock 32→32 (temb)            = skip0                [B, 28, 28, 32]  "down0/res"             22,752
//	         Conv3×3 stride 2                                        [B, 14, 14, 32]  "down0/downsample"       9,248
//	level 1: ResBlock 32→64 (1×1 skip conv)   = skip1                [B, 14, 14, 64]  "down1/res"             65,984
//	         Conv3×3 stride 2                                        [B, 7, 7, 64]    "down1/downsample"      36,928
//	level 2: ResBlock 64→64                   = skip2                [B, 7, 7, 64]    "down2/res"             82,368
//	middle:  ResBlock 64→64, ResBlock 64→64                          [B, 7, 7, 64]    "mid/res0", "mid/res1" 164,736
//	up 2:    concat(h, skip2) → ResBlock 128→64                      [B, 7, 7, 64]    "up2/res"              127,616
//	         nearest ×2 → Conv3×3                                    [B, 14, 14, 64]  "up2/upsample"          36,928
//	up 1:    concat(h, skip1) → ResBlock 128→64                      [B, 14, 14, 64]  "up1/res"              127,616
//	         nearest ×2 → Conv3×3                                    [B, 28, 28, 64]  "up1/upsample"          36,928
//	up 0:    concat(h, skip0) → ResBlock 96→32                       [B, 28, 28, 32]  "up0/res"               44,416
//	out:     GroupNorm(8) → SiLU → Conv3×3 32→1 (zero-initialised)   [B, 28, 28, 1]   "out/norm", "out/conv"     353
//	                                                                                           total 776,929
//
// Every ResBlock is GroupNorm(8)-SiLU-Conv3×3, + Dense(SiLU(temb)),
// GroupNorm(8)-SiLU-(Dropout)-Conv3×3, + x (or a 1×1 conv of x when the
// channels change); see [ResBlock]. The time MLP is 4·Base wide (Ho et
// al.: ch·4). The reference gives only the outline and the count; this is the
// only one of 31,104 variants we enumerated (time-MLP shapes, one or two
// convolutions per block, where the time projection goes, 1×1 skips,
// strided-conv or pooled down-sampling, up-sampling with or without a conv,
// skip sources, output heads) whose count is exactly 776,929: see
// testdata/unet_variants.py.
type UNetConfig struct {
	// Base is the channel count of the first level; default 32 (Ho et al.: 128 on CIFAR-10).
	Base int `flag:"base,zerodefault" usage:"U-Net channels of the first level"`
	// Mults are the channel multipliers per level, from the input resolution
	// down; each level after the first halves the resolution. Default
	// [1, 2, 2]: 28²×32, 14²×64, 7²×64 (Ho et al.: [1, 2, 2, 2] on 32×32).
	Mults []int `flag:"mults" usage:"U-Net channel multipliers per level, from the image's resolution down (1,2,2 on MNIST: 28², 14², 7²)"`
	// Groups is the number of GroupNorm groups; default 8 (Ho et al.: 32).
	// It must divide every channel count, including the concatenations of the up path.
	Groups int `flag:"groups,zerodefault" usage:"U-Net GroupNorm groups; must divide every level's channel count"`
	// AttentionRes lists the resolutions (side in pixels) at which a
	// [SelfAttention] block follows each ResBlock, both down and up, and sits
	// between the two middle blocks when the lowest resolution is listed;
	// default none (Ho et al.: [16] on 32×32).
	AttentionRes []int `flag:"attention" usage:"U-Net resolutions (side in pixels) with self-attention, e.g. 7 or 14,7"`
	// Dropout is the ResBlocks' dropout rate while training; default 0 (Ho et al.: 0.1 on CIFAR-10).
	Dropout float64 `flag:"dropout" usage:"U-Net dropout rate while training"`
	// InChannels is the image channel count, of input and output; set by
	// [UNetConfig.For] from the data (default 1, MNIST).
	InChannels int
	// ImageSize is the image side: inputs are [B, ImageSize, ImageSize,
	// InChannels], and it must be divisible by 2^(len(Mults)−1); set by
	// [UNetConfig.For] from the data (default 28).
	ImageSize int
	// TimeEmbedDim is the width of the sinusoidal time embedding fed to the
	// time MLP (even, ≥ 4); default 32 (Ho et al.: Base).
	TimeEmbedDim int
	// Conv is the convolution algorithm; default ConvAuto (see
	// [ConvAlgo.Resolve]).
	Conv ConvAlgo
	// OutChannels is the output's channel count; default InChannels (ε̂).
	// A learned-variance network (ddpm.Learned) outputs 2·InChannels: its
	// prediction, then Σ_θ's coefficient v.
	OutChannels int `json:",omitempty"`
	// NumClasses > 0 makes the network class-conditional ([UNetConfig.CondNet]):
	// a learned label embedding (NumClasses classes and the null label) is
	// added to the time embedding (Ho & Salimans 2022). Default 0.
	NumClasses int `json:",omitempty"`
}

func init() {
	Register(UNetConfig{}, true, "the ε-U-Net of Ho et al. (2020, Appendix B), one ResBlock per level (776,929 parameters by default)")
}

// Name is the U-Net's name in the registry ([Register]) and in weight files.
func (UNetConfig) Name() string { return "unet" }

// For completes c for spec's images [S, S, C] (ImageSize S, InChannels C,
// OutChannels C or 2C, NumClasses) with the defaults, and checks it.
func (c UNetConfig) For(spec Spec) (Network, error) {
	side, ch, err := imageSpec("the U-Net", spec)
	if err != nil {
		return nil, err
	}
	if err := fitSpec("UNetConfig", &c.ImageSize, &c.InChannels, &c.OutChannels, &c.NumClasses, side, ch, spec); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// fitSpec sets an image network's side, channels, output channels and
// label count from spec, refusing values set before that contradict it.
func fitSpec(owner string, size, in, out, classes *int, side, ch int, spec Spec) error {
	want := []struct {
		name string
		p    *int
		v    int
	}{{"ImageSize", size, side}, {"InChannels", in, ch}, {"OutChannels", out, spec.outFactor() * ch}, {"NumClasses", classes, spec.NumClasses}}
	for _, w := range want {
		if *w.p != 0 && *w.p != w.v {
			return field.New("nets", owner, w.name, *w.p, "contradicts the data and objective, which need %d: leave it zero", w.v)
		}
		*w.p = w.v
	}
	return nil
}

// ExampleDims are [ImageSize, ImageSize, InChannels].
func (c UNetConfig) ExampleDims() []int {
	c = c.WithDefaults()
	return []int{c.ImageSize, c.ImageSize, c.InChannels}
}

// Summary names the sizes of c.
func (c UNetConfig) Summary() string {
	c = c.WithDefaults()
	return fmt.Sprintf("base %d, mults %s, %d×%d×%d", c.Base, joinInts(c.Mults), c.ImageSize, c.ImageSize, c.InChannels)
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c UNetConfig) WithDefaults() UNetConfig {
	if c.Base == 0 {
		c.Base = 32
	}
	if len(c.Mults) == 0 {
		c.Mults = []int{1, 2, 2}
	}
	if c.Groups == 0 {
		c.Groups = 8
	}
	if c.InChannels == 0 {
		c.InChannels = 1
	}
	if c.ImageSize == 0 {
		c.ImageSize = 28
	}
	if c.TimeEmbedDim == 0 {
		c.TimeEmbedDim = 32
	}
	if c.OutChannels == 0 {
		c.OutChannels = c.InChannels
	}
	c.Mults = slices.Clone(c.Mults)
	c.AttentionRes = slices.Clone(c.AttentionRes)
	return c
}

// Bounds on a network's sizes. They are far above any useful network on
// this project's data, and keep a corrupt or hostile run.json or weight
// file from asking for terabytes (or overflowing int) before anything else
// is checked.
const (
	MaxWidth    = 1 << 16 // hidden widths, embedding widths, data dimension
	MaxLayers   = 1024
	MaxBase     = 4096 // channels of a first level
	MaxMult     = 64
	MaxLevels   = 8
	MaxImage    = 4096 // image side
	MaxChannels = 64
)

// Validate checks a configuration (after defaults); the error is a
// *field.Error naming the first wrong field, or with Conv = ConvAuto,
// ConvAlgoFromEnv's error for an unknown $DDPM_CONV_ALGO.
func (c UNetConfig) Validate() error {
	c = c.WithDefaults()
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("nets", "UNetConfig", name, v, want, args...)
	}
	L := len(c.Mults)
	switch {
	case c.Base < 1 || c.Base > MaxBase:
		return bad("Base", c.Base, "must lie in [1, %d]", MaxBase)
	case L > MaxLevels:
		return bad("Mults", joinInts(c.Mults), "has %d levels, at most %d are allowed", L, MaxLevels)
	case c.Groups < 1 || c.Groups > c.Base*MaxMult:
		return bad("Groups", c.Groups, "must lie in [1, %d] and divide every level's channel count", c.Base*MaxMult)
	case c.ImageSize < 1 || c.ImageSize > MaxImage:
		return bad("ImageSize", c.ImageSize, "must lie in [1, %d]", MaxImage)
	case c.InChannels < 1 || c.InChannels > MaxChannels:
		return bad("InChannels", c.InChannels, "must lie in [1, %d]", MaxChannels)
	case c.OutChannels < 1 || c.OutChannels > 2*MaxChannels:
		return bad("OutChannels", c.OutChannels, "must lie in [1, %d]", 2*MaxChannels)
	case c.NumClasses < 0 || c.NumClasses > MaxWidth:
		return bad("NumClasses", c.NumClasses, "must lie in [0, %d]", MaxWidth)
	case c.TimeEmbedDim < 4 || c.TimeEmbedDim%2 != 0 || c.TimeEmbedDim > MaxWidth:
		return bad("TimeEmbedDim", c.TimeEmbedDim, "must be even and lie in [4, %d]", MaxWidth)
	case !(c.Dropout >= 0 && c.Dropout < 1): // NaN too
		return bad("Dropout", c.Dropout, "must lie in [0, 1)")
	case !c.Conv.valid():
		return bad("Conv", c.Conv, "is not a convolution algorithm")
	}
	if c.Conv == ConvAuto {
		if _, err := ConvAlgoFromEnv(); err != nil {
			return err
		}
	}
	for _, m := range c.Mults {
		if m < 1 || m > MaxMult {
			return bad("Mults", joinInts(c.Mults), "must each lie in [1, %d]", MaxMult)
		}
	}
	if c.ImageSize%(1<<(L-1)) != 0 {
		return bad("Mults", joinInts(c.Mults), "has %d levels, which halve the image side %d times, but %d is not a multiple of %d: use fewer levels", L, L-1, c.ImageSize, 1<<(L-1))
	}
	for l, m := range c.Mults {
		if (c.Base*m)%c.Groups != 0 {
			return bad("Groups", c.Groups, "does not divide level %d's %d channels (base %d × mult %d)", l, c.Base*m, c.Base, m)
		}
	}
	var res []int
	for l := range c.Mults {
		res = append(res, c.ImageSize>>l)
	}
	for _, r := range c.AttentionRes {
		if !slices.Contains(res, r) {
			return bad("AttentionRes", joinInts(c.AttentionRes), "names %d, which is not one of the U-Net's resolutions %s", r, joinInts(res))
		}
	}
	if float32(c.Dropout) == 1 {
		return bad("Dropout", c.Dropout, "rounds to 1 in float32, the precision the model runs in: every activation would be dropped")
	}
	return field.CheckFloats("nets", "UNetConfig", c)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func (c UNetConfig) attention(res int) bool { return slices.Contains(c.AttentionRes, res) }

// NumParameters is the number of scalar parameters of the network, counted
// on the host from the architecture (the tests check it against the store).
func (c UNetConfig) NumParameters() int {
	c = c.WithDefaults()
	T := 4 * c.Base
	n := c.TimeEmbedDim*T + T + T*T + T // time MLP
	conv := func(cin, cout, k int) int { return k*k*cin*cout + cout }
	n += conv(c.InChannels, c.Base, 3)
	L := len(c.Mults)
	h := c.Base
	skips := make([]int, L)
	for l, m := range c.Mults {
		ch := c.Base * m
		n += resBlockParams(h, ch, T)
		h = ch
		if c.attention(c.ImageSize >> l) {
			n += attentionParams(h)
		}
		skips[l] = h
		if l < L-1 {
			n += conv(h, h, 3)
		}
	}
	n += 2 * resBlockParams(h, h, T)
	if c.attention(c.ImageSize >> (L - 1)) {
		n += attentionParams(h)
	}
	for l := L - 1; l >= 0; l-- {
		ch := c.Base * c.Mults[l]
		n += resBlockParams(h+skips[l], ch, T)
		h = ch
		if c.attention(c.ImageSize >> l) {
			n += attentionParams(h)
		}
		if l > 0 {
			n += conv(h, h, 3)
		}
	}
	if c.NumClasses > 0 {
		n += (c.NumClasses + 1) * T // label embedding
	}
	return n + 2*h + conv(h, c.OutChannels, 3) // output head
}

// Net returns the U-Net as a [ddpm.Net]: xt [B, S, S, InChannels] float32
// (S = ImageSize, data in [−1, 1]), t [B] int32 array indices → ε̂ of the
// shape of xt. The architecture is drawn in [UNetConfig]. It panics if the
// configuration is invalid (see [UNetConfig.Validate]) or, when building the
// graph, if xt or t have other shapes.
//
// A class-conditional configuration (NumClasses > 0) gives the network at
// the null label ∅ (see [UNetConfig.CondNet]).
func (c UNetConfig) Net() ddpm.Net {
	cond := c.CondNet()
	return func(scope *model.Scope, xt, t *Node) *Node { return cond(scope, xt, t, nil) }
}

// CondNet returns the U-Net as a [ddpm.CondNet]: as [UNetConfig.Net], with
// the embedding of the labels y [B] int32 (in [0, NumClasses], NumClasses =
// ∅) added to the time embedding. y nil means ∅ for a class-conditional
// configuration and is required for an unconditional one.
func (c UNetConfig) CondNet() ddpm.CondNet {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	L := len(c.Mults)
	opt := BlockOptions{Groups: c.Groups, Dropout: c.Dropout, Conv: c.Conv}
	return func(scope *model.Scope, xt, t, y *Node) *Node {
		S, C := c.ImageSize, c.InChannels
		if xt.Rank() != 4 || xt.Shape().Dimensions[1] != S || xt.Shape().Dimensions[2] != S || xt.Shape().Dimensions[3] != C {
			panicf("nets.UNet: xt must be [B, %d, %d, %d] (NHWC), got shape %s", S, S, C, xt.Shape())
		}
		B := xt.Shape().Dimensions[0]
		if t.Rank() != 1 || t.Shape().Dimensions[0] != B {
			panicf("nets.UNet: t must be [B=%d], got shape %s", B, t.Shape())
		}
		ts := scope.At("time")
		temb := TimestepEmbedding(t, c.TimeEmbedDim)                                          // [B, E]
		temb = Dense(ts.At("dense1"), SiLU(Dense(ts.At("dense0"), temb, 4*c.Base)), 4*c.Base) // [B, 4·Base]
		if temb = withLabels(scope, temb, y, c.NumClasses); temb == nil {
			panicf("nets.UNet: labels given to an unconditional U-Net (NumClasses = 0)")
		}

		h := Conv2D(scope.At("in"), xt, c.Base, 3, 1, c.Conv) // [B, S, S, Base]
		skips := make([]*Node, L)
		for l, m := range c.Mults { // down path, resolution S/2^l
			s := scope.At("down%d", l)
			h = ResBlock(s.At("res"), h, temb, c.Base*m, opt) // [B, S/2^l, S/2^l, Base·m]
			if c.attention(S >> l) {
				h = SelfAttention(s.At("attn"), h, c.Groups)
			}
			skips[l] = h
			if l < L-1 {
				h = Downsample(s.At("downsample"), h, c.Conv) // [B, S/2^(l+1), S/2^(l+1), Base·m]
			}
		}
		mid := scope.At("mid")
		h = ResBlock(mid.At("res0"), h, temb, h.Shape().Dimensions[3], opt)
		if c.attention(S >> (L - 1)) {
			h = SelfAttention(mid.At("attn"), h, c.Groups)
		}
		h = ResBlock(mid.At("res1"), h, temb, h.Shape().Dimensions[3], opt) // [B, S/2^(L−1), S/2^(L−1), Base·m_{L−1}]
		for l := L - 1; l >= 0; l-- {                                       // up path
			s := scope.At("up%d", l)
			h = Concatenate([]*Node{h, skips[l]}, 3)                   // [B, S/2^l, S/2^l, h + skip channels]
			h = ResBlock(s.At("res"), h, temb, c.Base*c.Mults[l], opt) // [B, S/2^l, S/2^l, Base·m_l]
			if c.attention(S >> l) {
				h = SelfAttention(s.At("attn"), h, c.Groups)
			}
			if l > 0 {
				h = Upsample(s.At("upsample"), h, c.Conv) // [B, S/2^(l−1), S/2^(l−1), Base·m_l]
			}
		}
		out := scope.At("out")
		h = SiLU(GroupNorm(out.At("norm"), h, c.Groups))                                     // [B, S, S, Base]
		return Conv2D(out.At("conv").WithInitializer(Zeros), h, c.OutChannels, 3, 1, c.Conv) // [B, S, S, OutChannels]
	}
}
