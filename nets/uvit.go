package nets

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// UViTConfig configures a small U-ViT (Bao et al. 2023, "All are Worth
// Words: A ViT Backbone for Diffusion Models"), a transformer whose tokens
// are the image's p×p patches, the diffusion time and (class-conditional)
// the label, with long skip connections between its shallow and deep
// blocks. With N = (S/p)² patch tokens, X extra tokens (the time, and the
// label when NumClasses > 0), D = Width and O = OutChannels ([UViTConfig.Net];
// scope names in quotes):
//
//	x [B, S, S, C] → SpaceToDepth(p) → flatten           [B, N, p²·C]
//	  → Dense p²·C → D  (patch embedding)                [B, N, D]        "patch"
//	t → sinusoidal(t, E) → Dense E→D → SiLU → Dense D→D  [B, 1, D]        "time/dense0", "time/dense1"
//	y → label embedding (NumClasses+1 rows, ∅ last)      [B, 1, D]        "label"
//	h = concat(label, time, patches) + pos               [B, X+N, D]      "pos" (learned [X+N, D])
//	in blocks i = 0 … k−1:   h = Block(h), skip_i = h                      "in<i>"
//	middle:                  h = Block(h)                                  "mid"
//	out blocks i = 0 … k−1:  h = Block(Dense 2D→D (concat(h, skip_{k−1−i})))  "out<i>/skip", "out<i>"
//	h = LayerNorm(h) → Dense D → p²·O (zero-initialised)  [B, X+N, p²·O]  "norm", "head"
//	drop the X extra tokens, unflatten, DepthToSpace(p)   [B, S, S, O]
//	optionally Conv3×3 O→O (U-ViT's final layer)          [B, S, S, O]     "final"
//
// with k = (Depth−1)/2 (Depth is odd: k in, 1 middle, k out, U-ViT's
// in_blocks / mid_block / out_blocks), and each Block a pre-LayerNorm
// transformer block (Vaswani et al. 2017; ViT, Dosovitskiy et al. 2021):
//
//	h = h + MultiHeadSelfAttention(LayerNorm(h))                 "norm1", "attn"
//	h = h + Dense rD→D (act(Dense D→rD (LayerNorm(h))))           "norm2", "fc1", "fc2"
//
// (r = MLPRatio, act = GELU or SiLU). A block has 12·D² + 13·D parameters
// at r = 4 (LayerNorms 4D, qkv 3D² + 3D, proj D² + D, MLP 8D² + 5D).
//
// As U-ViT: the time is a token (no adaptive norm), the long skips are
// concatenations followed by a linear map, every weight matrix is drawn
// from N(0, 0.02²) (U-ViT's trunc_normal_(std=.02) truncates at ±2, i.e.
// 100σ: a plain normal here) with zero biases. Deviations: the output
// projection starts at zero, as DiT's final layer (Peebles & Xie 2023) and
// the U-Net's head, so that a new network predicts 0 (ε̂ = 0: loss ≈ 1); the
// patch embedding is a Dense on the flattened patch (U-ViT's stride-p conv,
// the same map); the qkv projection has a bias (DiT's; U-ViT drops it); the
// time goes through a small MLP E → D → D from an E = 32-wide sinusoid
// (U-ViT embeds t D-wide, optionally through D → 4D → D: its
// mlp_time_embed); the label embedding is drawn as the weights (U-ViT's
// nn.Embedding: N(0, 1)); the final 3×3 conv is off unless FinalConv.
//
// Parameter counts on MNIST (28×28×1, ε̂ output, unconditional, MLP ratio 4,
// no final conv; [UViTConfig.NumParameters], checked against the store by
// the tests). Tokens and the forward cost per image, ≈ 2·(X+N)·(weights),
// are what a CPU pays for:
//
//	patch  width  depth  heads  tokens     parameters
//	4      128    7      4      1 + 49     1,518,224  (the default)
//	4      128    5      4      1 + 49     1,088,784
//	4      96     7      3      1 + 49       859,120
//	4      64     9      2      1 + 49       494,608
//	4      192    5      6      1 + 49     2,431,888
//	2      64     7      2      1 + 196      394,244
//	2      96     7      3      1 + 196      870,916
//	2      128    3      4      1 + 196      675,076
//
// References:
//
//   - F. Bao, S. Nie, K. Xue, Y. Cao, C. Li, H. Su, J. Zhu. All are Worth
//     Words: A ViT Backbone for Diffusion Models. CVPR 2023.
//     arXiv:2209.12152; code github.com/baofff/U-ViT (libs/uvit.py).
//   - W. Peebles, S. Xie. Scalable Diffusion Models with Transformers (DiT).
//     ICCV 2023. arXiv:2212.09748.
//   - A. Dosovitskiy et al. An Image is Worth 16x16 Words (ViT). ICLR 2021.
//     arXiv:2010.11929.
//   - J. L. Ba, J. R. Kiros, G. E. Hinton. Layer Normalization. 2016.
//     arXiv:1607.06450.
type UViTConfig struct {
	// Patch is the side p of the patches that become tokens; it must
	// divide the image side. Default 4: 49 tokens on 28×28 (U-ViT: 2 on
	// CIFAR-10's 32×32, 256 tokens).
	Patch int `flag:"patch,zerodefault" usage:"patch side p: the image is cut into p×p blocks, s2d-unet's channels or uvit's tokens (p must divide the side)"`
	// Width is the token width D; default 128 (U-ViT-S: 512).
	Width int `flag:"width,zerodefault" usage:"U-ViT token width D"`
	// Depth is the number of transformer blocks, odd: (Depth−1)/2 in,
	// one middle, (Depth−1)/2 out with long skips. Default 7 (U-ViT-S: 13).
	Depth int `flag:"depth,zerodefault" usage:"U-ViT transformer blocks, odd: (depth−1)/2 in, 1 middle, (depth−1)/2 out with long skips"`
	// Heads is the number of attention heads; it must divide Width.
	// Default Width/32 when 32 divides Width (heads 32 wide), else 1.
	Heads int `flag:"heads,zerodefault" usage:"U-ViT attention heads (must divide -width; by default 32 wide each)"`
	// MLPRatio is the hidden width of each block's MLP over Width; default 4.
	MLPRatio int `flag:"mlp-ratio,zerodefault" usage:"U-ViT MLP hidden width over the token width"`
	// Activation of the MLPs: "gelu" (default, U-ViT's and DiT's) or "silu".
	Activation string `flag:"activation" usage:"U-ViT MLP activation: gelu or silu"`
	// FinalConv adds U-ViT's 3×3 convolution O→O after the unpatchify
	// (its CIFAR-10 configuration has it); default off.
	FinalConv bool `flag:"final-conv" usage:"U-ViT: true adds a 3×3 convolution after the unpatchify"`
	// TimeEmbedDim is the width of the sinusoidal time embedding fed to the
	// time MLP (even, ≥ 4); default 32.
	TimeEmbedDim int
	// Conv is the final convolution's algorithm; default ConvAuto.
	Conv ConvAlgo
	// InChannels is the image channel count; set by [UViTConfig.For] from
	// the data (default 1, MNIST).
	InChannels int
	// ImageSize is the image side (a multiple of Patch); set by
	// [UViTConfig.For] from the data (default 28).
	ImageSize int
	// OutChannels is the output's channel count; default InChannels (ε̂);
	// 2·InChannels for a learned-variance network (ddpm.Learned).
	OutChannels int `json:",omitempty"`
	// NumClasses > 0 makes the network class-conditional: the label, from a
	// learned embedding of NumClasses classes and the null label ∅, is one
	// more token (Bao et al. 2023, §3). Default 0.
	NumClasses int `json:",omitempty"`
}

func init() {
	Register(UViTConfig{}, true, "a small U-ViT (Bao et al. 2023): p×p patches, the time and the label as tokens, long skips (1,518,224 parameters by default)")
}

// Name is the network's name in the registry ([Register]) and in weight files.
func (UViTConfig) Name() string { return "uvit" }

// For completes c for spec's images [S, S, C] (ImageSize S, InChannels C,
// OutChannels C or 2C, NumClasses) with the defaults, and checks it; a
// Patch that does not divide S is a *field.Error on Patch.
func (c UViTConfig) For(spec Spec) (Network, error) {
	side, ch, err := imageSpec("the U-ViT", spec)
	if err != nil {
		return nil, err
	}
	if err := fitSpec("UViTConfig", &c.ImageSize, &c.InChannels, &c.OutChannels, &c.NumClasses, side, ch, spec); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c UViTConfig) WithDefaults() UViTConfig {
	if c.Patch == 0 {
		c.Patch = 4
	}
	if c.Width == 0 {
		c.Width = 128
	}
	if c.Depth == 0 {
		c.Depth = 7
	}
	if c.Heads == 0 {
		c.Heads = 1
		if c.Width%32 == 0 {
			c.Heads = c.Width / 32
		}
	}
	if c.MLPRatio == 0 {
		c.MLPRatio = 4
	}
	if c.Activation == "" {
		c.Activation = "gelu"
	}
	if c.TimeEmbedDim == 0 {
		c.TimeEmbedDim = 32
	}
	if c.InChannels == 0 {
		c.InChannels = 1
	}
	if c.ImageSize == 0 {
		c.ImageSize = 28
	}
	if c.OutChannels == 0 {
		c.OutChannels = c.InChannels
	}
	return c
}

// Validate checks a configuration (after defaults); the error is a
// *field.Error naming the first wrong field, or with Conv = ConvAuto,
// ConvAlgoFromEnv's error for an unknown $DDPM_CONV_ALGO.
func (c UViTConfig) Validate() error {
	c = c.WithDefaults()
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("nets", "UViTConfig", name, v, want, args...)
	}
	switch {
	case c.ImageSize < 1 || c.ImageSize > MaxImage:
		return bad("ImageSize", c.ImageSize, "must lie in [1, %d]", MaxImage)
	case c.InChannels < 1 || c.InChannels > MaxChannels:
		return bad("InChannels", c.InChannels, "must lie in [1, %d]", MaxChannels)
	case c.OutChannels < 1 || c.OutChannels > 2*MaxChannels:
		return bad("OutChannels", c.OutChannels, "must lie in [1, %d]", 2*MaxChannels)
	case c.NumClasses < 0 || c.NumClasses > MaxWidth:
		return bad("NumClasses", c.NumClasses, "must lie in [0, %d]", MaxWidth)
	case c.Patch < 1 || c.Patch > 16:
		return bad("Patch", c.Patch, "must lie in [1, 16]")
	case c.ImageSize%c.Patch != 0:
		return bad("Patch", c.Patch, "does not divide the image side %d: use a divisor of it (2, 4, 7 or 14 on 28×28)", c.ImageSize)
	case c.Width < 1 || c.Width > MaxWidth:
		return bad("Width", c.Width, "must lie in [1, %d]", MaxWidth)
	case c.Depth < 1 || c.Depth > MaxLayers || c.Depth%2 == 0:
		return bad("Depth", c.Depth, "must be odd (in blocks, one middle block, as many out blocks) and lie in [1, %d]", MaxLayers)
	case c.Heads < 1 || c.Width%c.Heads != 0:
		return bad("Heads", c.Heads, "must be ≥ 1 and divide the width %d", c.Width)
	case c.MLPRatio < 1 || c.MLPRatio > 16:
		return bad("MLPRatio", c.MLPRatio, "must lie in [1, 16]")
	case c.Activation != "gelu" && c.Activation != "silu":
		return bad("Activation", c.Activation, `must be "gelu" or "silu"`)
	case c.TimeEmbedDim < 4 || c.TimeEmbedDim%2 != 0 || c.TimeEmbedDim > MaxWidth:
		return bad("TimeEmbedDim", c.TimeEmbedDim, "must be even and lie in [4, %d]", MaxWidth)
	case !c.Conv.valid():
		return bad("Conv", c.Conv, "is not a convolution algorithm")
	}
	if c.Conv == ConvAuto {
		if _, err := ConvAlgoFromEnv(); err != nil {
			return err
		}
	}
	return nil
}

// tokens are the patch tokens N = (S/p)² and the extra tokens X (time, label).
func (c UViTConfig) tokens() (n, extras int) {
	side := c.ImageSize / c.Patch
	extras = 1
	if c.NumClasses > 0 {
		extras = 2
	}
	return side * side, extras
}

// NumParameters is the number of scalar parameters, counted on the host
// from the architecture (the tests check it against the store).
func (c UViTConfig) NumParameters() int {
	c = c.WithDefaults()
	D, p := c.Width, c.Patch
	N, X := c.tokens()
	hidden := c.MLPRatio * D
	block := 2*layerNormParams(D) + multiHeadAttentionParams(D) + D*hidden + hidden + hidden*D + D
	n := p*p*c.InChannels*D + D // patch embedding
	n += (X + N) * D            // position embeddings
	n += c.TimeEmbedDim*D + D + D*D + D
	if c.NumClasses > 0 {
		n += (c.NumClasses + 1) * D
	}
	k := (c.Depth - 1) / 2
	n += c.Depth*block + k*(2*D*D+D)                                  // blocks, long skips
	n += layerNormParams(D) + D*p*p*c.OutChannels + p*p*c.OutChannels // norm, head
	if c.FinalConv {
		n += 9*c.OutChannels*c.OutChannels + c.OutChannels
	}
	return n
}

// ExampleDims are [ImageSize, ImageSize, InChannels].
func (c UViTConfig) ExampleDims() []int {
	c = c.WithDefaults()
	return []int{c.ImageSize, c.ImageSize, c.InChannels}
}

// Summary names the sizes of c.
func (c UViTConfig) Summary() string {
	c = c.WithDefaults()
	N, X := c.tokens()
	return fmt.Sprintf("patch %d, width %d, depth %d, heads %d, %d×%d×%d (%d+%d tokens)", c.Patch, c.Width, c.Depth, c.Heads,
		c.ImageSize, c.ImageSize, c.InChannels, X, N)
}

// Net returns the U-ViT as a [ddpm.Net]: xt [B, S, S, InChannels] float32
// (S = ImageSize), t [B] int32 array indices → [B, S, S, OutChannels]; the
// null label ∅ for a class-conditional configuration. The architecture is
// drawn in [UViTConfig]. It panics if the configuration is invalid ([UViTConfig.Validate])
// or, when building the graph, if xt or t have other shapes.
func (c UViTConfig) Net() ddpm.Net {
	cond := c.CondNet()
	return func(scope *model.Scope, xt, t *Node) *Node { return cond(scope, xt, t, nil) }
}

// CondNet returns the U-ViT as a [ddpm.CondNet]: as [UViTConfig.Net], with
// the labels y [B] int32 (in [0, NumClasses], NumClasses = ∅) as a token. y
// nil means ∅ for a class-conditional configuration and is required for an
// unconditional one.
func (c UViTConfig) CondNet() ddpm.CondNet {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	act := GELU
	if c.Activation == "silu" {
		act = SiLU
	}
	return func(scope *model.Scope, xt, t, y *Node) *Node {
		S, C, O, p, D := c.ImageSize, c.InChannels, c.OutChannels, c.Patch, c.Width
		if xt.Rank() != 4 || xt.Shape().Dimensions[1] != S || xt.Shape().Dimensions[2] != S || xt.Shape().Dimensions[3] != C {
			panicf("nets.UViT: xt must be [B, %d, %d, %d] (NHWC), got shape %s", S, S, C, xt.Shape())
		}
		B := xt.Shape().Dimensions[0]
		if t.Rank() != 1 || t.Shape().Dimensions[0] != B {
			panicf("nets.UViT: t must be [B=%d], got shape %s", B, t.Shape())
		}
		if c.NumClasses == 0 && y != nil {
			panicf("nets.UViT: labels given to an unconditional U-ViT (NumClasses = 0)")
		}
		g, dt := xt.Graph(), xt.DType()
		N, X := c.tokens()
		side := S / p
		s := scope.WithInitializer(normalInit(scope, 0.02))

		h := Reshape(SpaceToDepth(xt, p), B, N, p*p*C) // [B, N, p²·C]
		h = Dense(s.At("patch"), h, D)                 // [B, N, D]
		ts := s.At("time")
		temb := TimestepEmbedding(t, c.TimeEmbedDim)                            // [B, E]
		temb = Dense(ts.At("dense1"), SiLU(Dense(ts.At("dense0"), temb, D)), D) // [B, D]
		tokens := []*Node{InsertAxes(temb, 1)}                                  // [B, 1, D]
		if c.NumClasses > 0 {
			if y == nil {
				y = BroadcastToShape(Const(g, ddpm.NullLabel(c.NumClasses)), shapes.Make(dtypes.Int32, B))
			}
			if y.Rank() != 1 || y.Shape().Dimensions[0] != B {
				panicf("nets.UViT: labels must be [B=%d], got shape %s", B, y.Shape())
			}
			label := LabelEmbedding(s.At("label"), y, c.NumClasses, D, dt) // [B, D]
			tokens = append([]*Node{InsertAxes(label, 1)}, tokens...)      // U-ViT's order: label, time, patches
		}
		h = Concatenate(append(tokens, h), 1)                                  // [B, X+N, D]
		pos := variable(s.At("pos"), g, "embeddings", shapes.Make(dt, X+N, D)) // [X+N, D]
		h = Add(h, InsertAxes(pos, 0))                                         // [B, X+N, D]

		k := (c.Depth - 1) / 2
		skips := make([]*Node, k)
		for i := range k {
			h = c.block(s.At("in%d", i), h, act) // [B, X+N, D]
			skips[i] = h
		}
		h = c.block(s.At("mid"), h, act)
		for i := range k {
			o := s.At("out%d", i)
			h = Dense(o.At("skip"), Concatenate([]*Node{h, skips[k-1-i]}, 2), D) // [B, X+N, 2D] → [B, X+N, D]
			h = c.block(o, h, act)                                               // [B, X+N, D]
		}
		h = LayerNorm(s.At("norm"), h)                            // [B, X+N, D]
		h = Dense(s.At("head").WithInitializer(Zeros), h, p*p*O)  // [B, X+N, p²·O]
		h = Slice(h, AxisRange(), AxisRange(X, X+N), AxisRange()) // [B, N, p²·O]
		out := DepthToSpace(Reshape(h, B, side, side, p*p*O), p)  // [B, S, S, O]
		if c.FinalConv {
			out = Conv2D(scope.At("final"), out, O, 3, 1, c.Conv) // [B, S, S, O], the scope's own initializer
		}
		return out
	}
}

// block is one pre-LayerNorm transformer block of [UViTConfig]: h [B, N, D] → [B, N, D].
func (c UViTConfig) block(scope *model.Scope, h *Node, act func(*Node) *Node) *Node {
	D := h.Shape().Dimensions[2]
	h = Add(h, MultiHeadSelfAttention(scope.At("attn"), LayerNorm(scope.At("norm1"), h), c.Heads)) // [B, N, D]
	m := act(Dense(scope.At("fc1"), LayerNorm(scope.At("norm2"), h), c.MLPRatio*D))                // [B, N, r·D]
	return Add(h, Dense(scope.At("fc2"), m, D))                                                    // [B, N, D]
}

// normalInit draws weight matrices (rank ≥ 2) from N(0, std²) with the
// store's RNG (through gomlxfix.ScopeRandomNormal, whose clamp holds on
// XLA CPU) and sets vectors (biases) to zero: U-ViT's and DiT's Linear
// initialisation.
func normalInit(scope *model.Scope, std float64) model.VariableInitializer {
	return func(g *Graph, shape shapes.Shape) *Node {
		if shape.Rank() <= 1 {
			return Zeros(g, shape)
		}
		return MulScalar(gomlxfix.ScopeRandomNormal(scope, g, shape), std)
	}
}
