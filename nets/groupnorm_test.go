package nets

import (
	"fmt"
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// GroupNorm against a float64 two-pass reference with the stored γ, β
// (random, so that the per-channel indexing is checked too).
func TestGroupNormMatchesReference(t *testing.T) {
	const B, H, W, C = 2, 3, 4, 6
	_, x := randTensor(21, B, H, W, C)
	for i := range x { // a per-channel shift and scale that normalisation must remove
		x[i] = 3*x[i] + float64(i%C)
	}
	xT, x := tensorOf(x, B, H, W, C)
	for _, G := range []int{1, 2, 3, 6} {
		t.Run(fmt.Sprintf("G%d", G), func(t *testing.T) {
			store := model.NewStore()
			got := values(t, callN(t, store, func(scope *model.Scope, x *Node) *Node {
				return GroupNorm(scope.WithInitializer(randomInit(store, 1)).At("gn"), x, G)
			}, xT)[0])
			gamma, beta := varValues(t, store, "/gn/scale"), varValues(t, store, "/gn/offset")
			want := make([]float64, len(x))
			cg := C / G
			for b := range B {
				for grp := range G {
					var idx []int
					for p := range H * W {
						for c := grp * cg; c < (grp+1)*cg; c++ {
							idx = append(idx, (b*H*W+p)*C+c)
						}
					}
					mean, v := 0.0, 0.0
					for _, i := range idx {
						mean += x[i]
					}
					mean /= float64(len(idx))
					for _, i := range idx {
						v += (x[i] - mean) * (x[i] - mean)
					}
					v /= float64(len(idx))
					for _, i := range idx {
						want[i] = gamma[i%C]*(x[i]-mean)/math.Sqrt(v+GroupNormEpsilon) + beta[i%C]
					}
				}
			}
			if d := maxAbsDiff(got, want); d > 2e-5 {
				t.Errorf("max |graph − float64| = %g, want ≤ 2e-5", d)
			}
		})
	}
}

// With the initial γ = 1, β = 0 every (image, group) has mean 0 and variance
// σ²/(σ²+ε) ≈ 1; and the gradient builds (Div/Sqrt, not Rsqrt).
func TestGroupNormInitialMomentsAndGradient(t *testing.T) {
	xT, _ := randTensor(22, 2, 5, 5, 8)
	outs := callN(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		y := GroupNorm(scope.At("gn"), x, 4)
		grads := scope.BuildTrainableVariablesGradientsGraph(ReduceAllSum(Mul(y, x)))
		return append([]*Node{y}, append(grads, Gradient(ReduceAllSum(Mul(y, x)), x)...)...)
	}, xT)
	y := values(t, outs[0])
	for b := range 2 {
		for grp := range 4 {
			m, v, n := 0.0, 0.0, 0.0
			for p := range 25 {
				for c := grp * 2; c < grp*2+2; c++ {
					val := y[(b*25+p)*8+c]
					m += val
					v += val * val
					n++
				}
			}
			m /= n
			v = v/n - m*m
			if math.Abs(m) > 1e-6 || math.Abs(v-1) > 1e-3 {
				t.Errorf("image %d group %d: mean %g, variance %g; want 0 and ≈ 1", b, grp, m, v)
			}
		}
	}
	if len(outs) != 4 {
		t.Errorf("%d outputs, want y and 3 gradients", len(outs))
	}
}

func TestGroupNormPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		GroupNorm(scope, Const(g, [][][][]float32{{{{1, 2, 3}}}}), 2)
	}, "3 channels", "groups=2")
}
