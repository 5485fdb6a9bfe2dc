package nets

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// LayerNorm against a float64 two-pass reference with random stored γ, β,
// on rows shifted and scaled so that the normalisation has work to do; and
// its gradient builds (GoMLX v0.28 has no Rsqrt gradient, see layernorm.go).
func TestLayerNormMatchesReference(t *testing.T) {
	const B, N, D = 2, 3, 5
	_, x := randTensor(31, B, N, D)
	for i := range x {
		x[i] = 4*x[i] + float64(i/D)
	}
	xT, x := tensorOf(x, B, N, D)
	store := model.NewStore()
	build := func(scope *model.Scope, x *Node) []*Node {
		y := LayerNorm(scope.At("ln"), x)
		return append([]*Node{y}, scope.BuildTrainableVariablesGradientsGraph(ReduceAllSum(Square(y)))...)
	}
	callN(t, store, build, xT)
	seed := uint64(32)
	for v := range store.IterVariables() {
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			setValue(t, v, r)
			seed++
		}
	}
	outs := callN(t, store, build, xT)
	got := values(t, outs[0])
	gamma, beta := varValues(t, store, "/ln/scale"), varValues(t, store, "/ln/offset")
	for row := range B * N {
		r := x[row*D : (row+1)*D]
		m, v := 0.0, 0.0
		for _, e := range r {
			m += e / D
		}
		for _, e := range r {
			v += (e - m) * (e - m) / D
		}
		for d := range D {
			want := gamma[d]*(r[d]-m)/math.Sqrt(v+LayerNormEpsilon) + beta[d]
			if g := got[row*D+d]; math.Abs(g-want) > 1e-5*max(1, math.Abs(want)) {
				t.Fatalf("row %d, element %d: %.7f, want %.7f", row, d, g, want)
			}
		}
	}
	if len(outs) != 3 {
		t.Errorf("%d gradients, want 2 (scale, offset)", len(outs)-1)
	}
	if n, want := store.Scope("/ln").NumParameters(), layerNormParams(D); n != want {
		t.Errorf("LayerNorm has %d parameters, want %d", n, want)
	}
}
