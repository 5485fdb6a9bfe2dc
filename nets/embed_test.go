package nets

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The graph embedding against float64 values of Ho et al.'s formula, written
// here independently as 10000^(−i/(half−1)) (the code uses exp/log).
func TestTimestepEmbeddingMatchesFormula(t *testing.T) {
	ts := []int32{0, 1, 9, 250, 499, 998, 999}
	for _, dim := range []int{4, 6, 32, 128} {
		got := values(t, callN(t, model.NewStore(), func(_ *model.Scope, tt *Node) *Node {
			return TimestepEmbedding(tt, dim)
		}, tensors.FromValue(ts))[0])
		half := dim / 2
		for b, step := range ts {
			for i := range half {
				arg := float64(step) * math.Pow(10000, -float64(i)/float64(half-1))
				// Only the final rounding to float32 separates the two: ≤ 2⁻²⁴ relative.
				for j, want := range []float64{math.Sin(arg), math.Cos(arg)} {
					g := got[b*dim+j*half+i]
					if math.Abs(g-want) > 6e-8 {
						t.Errorf("dim %d, t=%d, %s component %d: %.9f, want %.9f", dim, step, []string{"sin", "cos"}[j], i, g, want)
					}
				}
			}
		}
	}
}

// Identities: f_0 = 1 and f_{half−1} = 1/10000; sin² + cos² = 1; t = 0 embeds
// as (0, …, 0, 1, …, 1).
func TestTimestepEmbeddingIdentities(t *testing.T) {
	f := TimestepFrequencies(32)
	if len(f) != 16 || f[0] != 1 || math.Abs(f[15]-1e-4) > 1e-18 {
		t.Errorf("frequencies: %d of them, first %g, last %g; want 16, 1 and 1e-4", len(f), f[0], f[len(f)-1])
	}
	got := values(t, callN(t, model.NewStore(), func(_ *model.Scope, tt *Node) *Node {
		return TimestepEmbedding(tt, 32)
	}, tensors.FromValue([]int32{0, 777}))[0])
	for i := range 16 {
		if got[i] != 0 || got[16+i] != 1 {
			t.Errorf("t=0, component %d: (sin, cos) = (%g, %g), want (0, 1)", i, got[i], got[16+i])
		}
		s, c := got[32+i], got[48+i]
		if math.Abs(s*s+c*c-1) > 3e-7 {
			t.Errorf("t=777, component %d: sin²+cos² = %.9f", i, s*s+c*c)
		}
	}
}

func TestTimestepEmbeddingPanics(t *testing.T) {
	expectPanic(t, func(_ *model.Scope, g *Graph) {
		TimestepEmbedding(Const(g, []int32{1, 2}), 7)
	}, "even", "got 7")
	expectPanic(t, func(_ *model.Scope, g *Graph) {
		TimestepEmbedding(Const(g, [][]int32{{1}, {2}}), 8)
	}, "[B]", "(Int32)[2, 1]")
}
