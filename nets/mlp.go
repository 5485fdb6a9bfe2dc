package nets

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// MLPConfig configures the ε-MLP for low-dimensional (toy 2-D) data,
//
//	ε_θ(x, t) = Dense_Dim(SiLU(Dense_H(… SiLU(Dense_H(concat(x, emb(t)))) …)))
//
// with Layers hidden layers of width Hidden and emb the sinusoidal
// [TimestepEmbedding] of width EmbedDim. Zero values take the defaults given;
// the defaults are the reference 2-D MLP (testdata/REFERENCES.md),
// concat(x, sinusoidal(t, 32)) → 256 → 256 → 256 → 2, with 141,058
// parameters: (2+32)·256+256 + 2·(256·256+256) + 256·2+2.
type MLPConfig struct {
	Hidden   int `flag:"hidden,zerodefault" usage:"MLP width of the hidden layers"`
	Layers   int `flag:"layers,zerodefault" usage:"MLP number of hidden layers"`
	EmbedDim int // width of the sinusoidal time embedding (even, ≥ 4); default 32.
	Dim      int // data dimension (input and output width); set by [MLPConfig.For] from the data (default 2).
	// OutDim is the output width; default Dim (ε̂). A learned-variance
	// network (ddpm.Learned) outputs 2·Dim: its prediction, then Σ_θ's v.
	OutDim int `json:",omitempty"`
	// NumClasses > 0 makes the MLP class-conditional ([MLPConfig.CondNet]):
	// a learned label embedding of width EmbedDim (NumClasses classes and
	// the null label) is added to the time embedding. Default 0.
	NumClasses int `json:",omitempty"`
}

func init() {
	Register(MLPConfig{}, false, "the ε-MLP for 2-D points (141,058 parameters by default)")
}

// Name is the MLP's name in the registry ([Register]) and in weight files.
func (MLPConfig) Name() string { return "mlp" }

// For completes c for spec's points [D] (Dim D, OutDim D or 2D,
// NumClasses) with the defaults, and checks it.
func (c MLPConfig) For(spec Spec) (Network, error) {
	if len(spec.Dims) != 1 || spec.Dims[0] < 1 {
		return nil, fmt.Errorf("nets: the MLP is for points [D], not examples of shape %v", spec.Dims)
	}
	D := spec.Dims[0]
	want := []struct {
		name string
		p    *int
		v    int
	}{{"Dim", &c.Dim, D}, {"OutDim", &c.OutDim, spec.outFactor() * D}, {"NumClasses", &c.NumClasses, spec.NumClasses}}
	for _, w := range want {
		if *w.p != 0 && *w.p != w.v {
			return nil, field.New("nets", "MLPConfig", w.name, *w.p, "contradicts the data and objective, which need %d: leave it zero", w.v)
		}
		*w.p = w.v
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks a configuration (after defaults); the error is a
// *field.Error naming the first wrong field.
func (c MLPConfig) Validate() error {
	c = c.WithDefaults()
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("nets", "MLPConfig", name, v, want, args...)
	}
	switch {
	case c.Hidden < 1 || c.Hidden > MaxWidth:
		return bad("Hidden", c.Hidden, "must lie in [1, %d]", MaxWidth)
	case c.Layers < 1 || c.Layers > MaxLayers:
		return bad("Layers", c.Layers, "must lie in [1, %d]", MaxLayers)
	case c.EmbedDim < 4 || c.EmbedDim > MaxWidth || c.EmbedDim%2 != 0:
		return bad("EmbedDim", c.EmbedDim, "must be even and lie in [4, %d]", MaxWidth)
	case c.Dim < 1 || c.Dim > MaxWidth:
		return bad("Dim", c.Dim, "must lie in [1, %d]", MaxWidth)
	case c.OutDim < 1 || c.OutDim > 2*MaxWidth:
		return bad("OutDim", c.OutDim, "must lie in [1, %d]", 2*MaxWidth)
	case c.NumClasses < 0 || c.NumClasses > MaxWidth:
		return bad("NumClasses", c.NumClasses, "must lie in [0, %d]", MaxWidth)
	}
	return nil
}

// ExampleDims are [MLPConfig.Dim].
func (c MLPConfig) ExampleDims() []int { return []int{c.WithDefaults().Dim} }

// Summary names the sizes of c.
func (c MLPConfig) Summary() string {
	c = c.WithDefaults()
	return fmt.Sprintf("hidden %d, %d layers", c.Hidden, c.Layers)
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c MLPConfig) WithDefaults() MLPConfig {
	if c.Hidden == 0 {
		c.Hidden = 256
	}
	if c.Layers == 0 {
		c.Layers = 3
	}
	if c.EmbedDim == 0 {
		c.EmbedDim = 32
	}
	if c.Dim == 0 {
		c.Dim = 2
	}
	if c.OutDim == 0 {
		c.OutDim = c.Dim
	}
	return c
}

// NumParameters is the number of scalar parameters of the MLP:
// (Dim+EmbedDim)·H + H  +  (Layers−1)·(H·H + H)  +  H·OutDim + OutDim.
func (c MLPConfig) NumParameters() int {
	c = c.WithDefaults()
	h := c.Hidden
	n := (c.Dim+c.EmbedDim)*h + h + (c.Layers-1)*(h*h+h) + h*c.OutDim + c.OutDim
	if c.NumClasses > 0 {
		n += (c.NumClasses + 1) * c.EmbedDim // label embedding
	}
	return n
}

// Net returns the MLP as a [ddpm.Net]: xt [B, Dim] float32, t [B] int32 →
// ε̂ [B, OutDim]. Its variables live under scope: "dense0" … "dense{Layers−1}"
// (hidden) and "out", each with "weights" and "biases". It panics on a
// configuration out of range or an input of the wrong shape.
//
// A class-conditional configuration (NumClasses > 0) gives the network at
// the null label ∅ (see [MLPConfig.CondNet]).
func (c MLPConfig) Net() ddpm.Net {
	cond := c.CondNet()
	return func(scope *model.Scope, xt, t *Node) *Node { return cond(scope, xt, t, nil) }
}

// CondNet returns the MLP as a [ddpm.CondNet]: as [MLPConfig.Net], with the
// embedding of the labels y [B] int32 (in [0, NumClasses], NumClasses = ∅)
// added to the time embedding. y nil means ∅ for a class-conditional
// configuration and is required for an unconditional one.
func (c MLPConfig) CondNet() ddpm.CondNet {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return func(scope *model.Scope, xt, t, y *Node) *Node {
		if xt.Rank() != 2 || xt.Shape().Dimensions[1] != c.Dim {
			panicf("nets.MLP: xt must be [B, %d], got shape %s", c.Dim, xt.Shape())
		}
		B := xt.Shape().Dimensions[0]
		if t.Rank() != 1 || t.Shape().Dimensions[0] != B {
			panicf("nets.MLP: t must be [B=%d], got shape %s", B, t.Shape())
		}
		emb := ConvertDType(TimestepEmbedding(t, c.EmbedDim), xt.DType()) // [B, EmbedDim]
		if emb = withLabels(scope, emb, y, c.NumClasses); emb == nil {
			panicf("nets.MLP: labels given to an unconditional MLP (NumClasses = 0)")
		}
		h := Concatenate([]*Node{xt, emb}, 1) // [B, Dim+EmbedDim]
		for i := range c.Layers {
			h = SiLU(Dense(scope.At("dense%d", i), h, c.Hidden)) // [B, Hidden]
		}
		return Dense(scope.At("out"), h, c.OutDim) // [B, OutDim]
	}
}
