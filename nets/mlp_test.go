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

// testdata/REFERENCES.md ("Reference networks"): the 2-D ε-MLP has 141,058 parameters.
func TestMLPParameterCount(t *testing.T) {
	const want = 141058
	if n := (MLPConfig{}).NumParameters(); n != want {
		t.Errorf("MLPConfig{}.NumParameters() = %d, want %d", n, want)
	}
	store := model.NewStore()
	xT, _ := randTensor(2, 4, 2)
	out := callN(t, store, func(scope *model.Scope, x, tt *Node) *Node {
		return MLPConfig{}.Net()(scope.In("net"), x, tt)
	}, xT, tensors.FromValue([]int32{0, 10, 500, 999}))[0]
	checkDims(t, "MLP output", out, 4, 2)
	if n := store.Scope("/net").NumParameters(); n != want {
		t.Errorf("the built MLP has %d parameters, want %d", n, want)
	}
}

// The MLP's forward pass against float64 arithmetic on the stored weights,
// with the embedding from the formula.
func TestMLPMatchesReference(t *testing.T) {
	cfg := MLPConfig{Hidden: 16, Layers: 2, EmbedDim: 8, Dim: 3}
	xT, x := randTensor(3, 2, 3)
	ts := []int32{4, 700}
	store := model.NewStore()
	got := values(t, callN(t, store, func(scope *model.Scope, x, tt *Node) *Node {
		return cfg.Net()(scope.WithInitializer(randomInit(store, 0.5)), x, tt)
	}, xT, tensors.FromValue(ts))[0])
	dense := func(name string, in []float64, nIn, nOut int, act bool) []float64 {
		w, b := varValues(t, store, "/"+name+"/weights"), varValues(t, store, "/"+name+"/biases")
		out := make([]float64, nOut)
		for o := range nOut {
			s := b[o]
			for i := range nIn {
				s += in[i] * w[i*nOut+o]
			}
			if act {
				s /= 1 + math.Exp(-s)
			}
			out[o] = s
		}
		return out
	}
	for r, step := range ts {
		h := append([]float64{}, x[r*3:r*3+3]...)
		for _, trig := range []func(float64) float64{math.Sin, math.Cos} {
			for i := range 4 {
				h = append(h, trig(float64(step)*math.Pow(10000, -float64(i)/3)))
			}
		}
		h = dense("dense0", h, 11, 16, true)
		h = dense("dense1", h, 16, 16, true)
		want := dense("out", h, 16, 3, false)
		if d := maxAbsDiff(got[r*3:r*3+3], want); d > 1e-5 {
			t.Errorf("row %d (t=%d): MLP %v, float64 %v (max diff %g)", r, step, got[r*3:r*3+3], want, d)
		}
	}
}

// The gradient of a loss through the MLP builds and is finite and non-zero,
// also when t comes straight from RandomIntN (see the StopGradient in Net).
func TestMLPGradient(t *testing.T) {
	xT, _ := randTensor(4, 8, 2)
	outs := callN(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		tt := scope.RandomIntN(x.Graph(), int32(1000), shapes.Make(dtypes.Int32, 8))
		net := scope.In("net")
		loss := ReduceAllMean(Square(MLPConfig{}.Net()(net, x, tt)))
		return net.BuildTrainableVariablesGradientsGraph(loss)
	}, xT)
	if len(outs) != 8 {
		t.Fatalf("%d gradients, want 8 (4 layers × weights, biases)", len(outs))
	}
	for i, g := range outs {
		sq := 0.0
		for _, v := range values(t, g) {
			sq += v * v
		}
		if !(sq > 0) || math.IsInf(sq, 0) {
			t.Errorf("gradient %d: squared norm %g, want finite and > 0", i, sq)
		}
	}
}

func TestMLPPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		MLPConfig{}.Net()(scope, Zeros(g, shapes.Make(dtypes.Float32, 4, 3)), Zeros(g, shapes.Make(dtypes.Int32, 4)))
	}, "xt must be [B, 2]", "(Float32)[4, 3]")
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		MLPConfig{}.Net()(scope, Zeros(g, shapes.Make(dtypes.Float32, 4, 2)), Zeros(g, shapes.Make(dtypes.Int32, 5)))
	}, "t must be [B=4]", "(Int32)[5]")
	expectPanic(t, func(*model.Scope, *Graph) { MLPConfig{EmbedDim: 5}.Net() }, "EmbedDim = 5 must be even")
}

// OutDim (a learned-variance network's 2·Dim outputs): shape and count.
func TestMLPOutDim(t *testing.T) {
	cfg := MLPConfig{Hidden: 8, Layers: 1, OutDim: 4}
	store := model.NewStore()
	xT, _ := randTensor(5, 3, 2)
	out := callN(t, store, func(scope *model.Scope, x, tt *Node) *Node {
		return cfg.Net()(scope.In("net"), x, tt)
	}, xT, tensors.FromValue([]int32{0, 10, 999}))[0]
	checkDims(t, "MLP output", out, 3, 4)
	if n, want := store.Scope("/net").NumParameters(), cfg.NumParameters(); n != want || want != (2+32)*8+8+8*4+4 {
		t.Errorf("the built MLP has %d parameters, NumParameters says %d, want %d", n, want, (2+32)*8+8+8*4+4)
	}
}

// A class-conditional MLP: its parameter count, Net() is CondNet at the null
// label, the label changes the output, and an unconditional MLP refuses labels.
func TestMLPCondNet(t *testing.T) {
	cfg := MLPConfig{Hidden: 8, Layers: 1, NumClasses: 3}
	store := model.NewStore()
	xT, _ := randTensor(6, 3, 2)
	outs := callN(t, store, func(scope *model.Scope, x, tt, y *Node) []*Node {
		sc := scope.WithInitializer(randomInit(store, 0.5)).In("net")
		null := Const(x.Graph(), []int32{3, 3, 3})
		return []*Node{cfg.Net()(sc, x, tt), cfg.CondNet()(sc, x, tt, null), cfg.CondNet()(sc, x, tt, y)}
	}, xT, tensors.FromValue([]int32{0, 10, 999}), tensors.FromValue([]int32{0, 1, 2}))
	if n, want := store.Scope("/net").NumParameters(), cfg.NumParameters(); n != want || want != (MLPConfig{Hidden: 8, Layers: 1}).NumParameters()+4*32 {
		t.Errorf("the built MLP has %d parameters, NumParameters says %d", n, want)
	}
	if d := maxAbsDiff(values(t, outs[0]), values(t, outs[1])); d != 0 {
		t.Errorf("Net() vs CondNet(∅): max diff %g, want 0", d)
	}
	if d := maxAbsDiff(values(t, outs[1]), values(t, outs[2])); d == 0 {
		t.Error("the labels do not change the output")
	}
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		MLPConfig{}.CondNet()(scope, Zeros(g, shapes.Make(dtypes.Float32, 2, 2)), Const(g, []int32{1, 2}), Const(g, []int32{0, 1}))
	}, "labels given to an unconditional MLP")
}
