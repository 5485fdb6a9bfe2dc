package nets

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// TimestepFrequencies returns the dim/2 frequencies of [TimestepEmbedding],
//
//	f_i = exp(−ln(10000) · i/(half−1)),   i = 0 … half−1,  half = dim/2,
//
// a geometric ladder from 1 down to 1/10000. It panics unless dim is even
// and ≥ 4 (half−1 must be > 0).
func TimestepFrequencies(dim int) []float64 {
	if dim < 4 || dim%2 != 0 {
		panicf("nets.TimestepFrequencies: dim must be even and ≥ 4, got %d", dim)
	}
	half := dim / 2
	f := make([]float64, half)
	for i := range f {
		f[i] = math.Exp(-math.Log(10000) * float64(i) / float64(half-1))
	}
	return f
}

// TimestepEmbedding is the sinusoidal embedding of the diffusion step, the
// positional encoding of Vaswani et al. (2017, §3.5) in the form of Ho et
// al.'s code (diffusion_tf/nn.py, get_timestep_embedding): the first half
// sines, the second half cosines,
//
//	emb(t) = [sin(t f_0), …, sin(t f_{half−1}), cos(t f_0), …, cos(t f_{half−1})]
//
// with f_i from [TimestepFrequencies]. t [B] (any integer or float dtype,
// array indices as ddpm uses them) → [B, dim] float32. The arguments t·f_i
// (up to ~1000 rad) are computed in float64 and only the result is rounded to
// float32, so the embedding is exact to float32 rounding.
func TimestepEmbedding(t *Node, dim int) *Node {
	if t.Rank() != 1 {
		panicf("nets.TimestepEmbedding: t must be [B], got shape %s", t.Shape())
	}
	g := t.Graph()
	freqs := Const(g, TimestepFrequencies(dim))          // [half] float64
	tf := InsertAxes(ConvertDType(t, dtypes.Float64), 1) // [B, 1]
	args := Mul(tf, InsertAxes(freqs, 0))                // [B, half]
	emb := Concatenate([]*Node{Sin(args), Cos(args)}, 1) // [B, dim]
	return ConvertDType(emb, dtypes.Float32)
}
