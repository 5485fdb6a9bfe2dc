package nets

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Dense on a rank-3 input against float64 x W + b with the stored weights.
func TestDenseMatchesReference(t *testing.T) {
	const in, out = 5, 4
	xT, x := randTensor(1, 3, 2, in)
	store := model.NewStore()
	y := values(t, callN(t, store, func(scope *model.Scope, x *Node) *Node {
		return Dense(scope.WithInitializer(randomInit(store, 1)).At("d"), x, out)
	}, xT)[0])
	w, b := varValues(t, store, "/d/weights"), varValues(t, store, "/d/biases")
	want := make([]float64, 0, len(y))
	for r := range 6 {
		for o := range out {
			s := b[o]
			for i := range in {
				s += x[r*in+i] * w[i*out+o]
			}
			want = append(want, s)
		}
	}
	if d := maxAbsDiff(y, want); d > 1e-5 {
		t.Errorf("Dense: max |graph − float64| = %g, want ≤ 1e-5", d)
	}
	if n := store.Scope("/d").NumParameters(); n != in*out+out {
		t.Errorf("Dense has %d parameters, want %d", n, in*out+out)
	}
}

func TestSiLU(t *testing.T) {
	xs := []float32{-20, -3, -1, -0.5, 0, 0.5, 1, 3, 20}
	got := values(t, callN(t, model.NewStore(), func(_ *model.Scope, x *Node) *Node { return SiLU(x) }, tensors.FromValue(xs))[0])
	for i, x := range xs {
		want := float64(x) / (1 + math.Exp(-float64(x)))
		if math.Abs(got[i]-want) > 1e-6*max(1, math.Abs(want)) {
			t.Errorf("SiLU(%g) = %.8g, want %.8g", x, got[i], want)
		}
	}
}

func TestDensePanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		Dense(scope, Const(g, []float32{1, 2}), 0)
	}, "out ≥ 1", "out=0")
}

// The gradient through Dense of a value derived from RandomIntN builds (with
// layers.Dense it panics in GoMLX v0.28.0; see Dense).
func TestDenseGradientFromRandomIntN(t *testing.T) {
	xT, _ := randTensor(5, 8, 2)
	outs := callN(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		tt := scope.RandomIntN(x.Graph(), int32(1000), shapes.Make(dtypes.Int32, 8))
		h := Dense(scope.In("d"), Concatenate([]*Node{x, TimestepEmbedding(tt, 32)}, 1), 4)
		return scope.BuildTrainableVariablesGradientsGraph(ReduceAllMean(Square(h)))
	}, xT)
	if len(outs) != 2 {
		t.Errorf("%d gradients, want 2", len(outs))
	}
}

// GELU against x·½(1 + erf(x/√2)) in float64 (math.Erf), and its gradient
// against Φ(x) + x·φ(x).
func TestGELUMatchesReference(t *testing.T) {
	xs := []float64{-4, -1.5, -0.3, 0, 0.2, 1, 2.5, 6}
	xT, xs := tensorOf(xs, len(xs))
	outs := callN(t, model.NewStore(), func(_ *model.Scope, x *Node) []*Node {
		y := GELU(x)
		return []*Node{y, Gradient(ReduceAllSum(y), x)[0]}
	}, xT)
	y, dy := values(t, outs[0]), values(t, outs[1])
	for i, x := range xs {
		phi := 0.5 * (1 + math.Erf(x/math.Sqrt2))
		want, wantD := x*phi, phi+x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
		if math.Abs(y[i]-want) > 1e-6*max(1, math.Abs(want)) || math.Abs(dy[i]-wantD) > 1e-5 {
			t.Errorf("GELU(%g) = %.7f, GELU' = %.7f; want %.7f, %.7f", x, y[i], dy[i], want, wantD)
		}
	}
}
