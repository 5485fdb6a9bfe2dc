package ddpm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// smallMLP is a one-hidden-layer ε-network: enough (matmuls with a batch
// axis, a nonlinearity, bias reductions over the batch) for the partitioner
// to have real work.
func smallMLP(scope *model.Scope, xt, t *Node) *Node {
	g := xt.Graph()
	f32 := func(d ...int) shapes.Shape { return shapes.Make(dtypes.Float32, d...) }
	h := Concatenate([]*Node{xt, InsertAxes(MulScalar(ConvertDType(t, dtypes.Float32), 0.01), -1)}, -1)
	w1 := scope.VariableWithShape("w1", f32(h.Shape().Dimensions[1], 32)).NodeValue(g)
	b1 := scope.VariableWithShape("b1", f32(32)).NodeValue(g)
	h = Tanh(Add(MatMul(h, w1), InsertAxes(b1, 0)))
	w2 := scope.VariableWithShape("w2", f32(32, xt.Shape().Dimensions[1])).NodeValue(g)
	return MatMul(h, w2)
}

// A data-parallel step is the single-device step: same global batch, same
// seed, so the same t and ε; only the order of the gradient sums changes.
// Compares every variable of the store (weights, Adam moments, EMA, RNG
// state, step counters) after a few steps with warm-up, clipping and EMA on.
func TestDataParallelStepMatchesSingleDevice(t *testing.T) {
	backend := testBackend(t)
	if backend.NumDevices() < 2 {
		t.Skipf("backend %s has %d device: data-parallel training needs at least 2 (XLA CPU exposes several)", describeBackend(backend), backend.NumDevices())
	}
	s := MustNewSchedule(ScheduleConfig{T: 100, BetaStart: 1e-3, BetaEnd: 0.2})
	const B, steps = 64, 4
	rng := rand.New(rand.NewPCG(1, 1))
	batches := make([][]float32, steps)
	for i := range batches {
		batches[i] = make([]float32, B*2)
		for j := range batches[i] {
			batches[i][j] = float32(rng.NormFloat64())
		}
	}
	cfg := TrainConfig{LearningRate: 1e-2, WarmupSteps: 2, GradClip: 0.5, EMADecay: 0.9, Seed: 5}
	run := func(devices int) (*model.Store, []float64) {
		c := cfg
		c.Devices = devices
		store := model.NewStore()
		tr, err := NewTrainer(backend, store, s, smallMLP, c)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for _, x := range batches {
			loss, norm, err := tr.Step(tensors.FromFlatDataAndDimensions(x, B, 2))
			if err != nil {
				t.Fatalf("%d devices: %v", devices, err)
			}
			losses = append(losses, loss, norm)
		}
		if devices > 1 && tr.exec.NumDevices() != devices {
			t.Fatalf("the step ran on %d devices, want %d", tr.exec.NumDevices(), devices)
		}
		return store, losses
	}
	single, singleLosses := run(1)
	for _, n := range []int{2, 4} {
		if n > backend.NumDevices() {
			continue
		}
		dp, dpLosses := run(n)
		for i := range singleLosses {
			if d := math.Abs(dpLosses[i] - singleLosses[i]); d > 1e-5*(1+math.Abs(singleLosses[i])) {
				t.Errorf("%d devices: step %d loss/norm %v, single device %v", n, i/2+1, dpLosses[i], singleLosses[i])
			}
		}
		compared := 0
		for v := range single.IterVariables() {
			w := dp.GetVariable(v.Path())
			if w == nil {
				t.Errorf("%d devices: variable %s missing", n, v.Path())
				continue
			}
			a, b := flatFloat64(t, v), flatFloat64(t, w)
			for i := range a {
				if d := math.Abs(a[i] - b[i]); d > 1e-5+1e-4*math.Abs(a[i]) {
					t.Errorf("%d devices: %s[%d] = %v, single device %v", n, v.Path(), i, b[i], a[i])
					break
				}
			}
			compared++
		}
		if compared < 10 { // 3 weights × (value, 2 Adam moments, EMA) + counters + RNG
			t.Errorf("%d devices: compared only %d variables", n, compared)
		}
	}
}

func flatFloat64(t *testing.T, v *model.Variable) []float64 {
	t.Helper()
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	switch val.DType() {
	case dtypes.Float32:
		for _, x := range tensors.MustCopyFlatData[float32](val) {
			out = append(out, float64(x))
		}
	case dtypes.Int64:
		for _, x := range tensors.MustCopyFlatData[int64](val) {
			out = append(out, float64(x))
		}
	case dtypes.Uint64: // RNG state: compare exactly, as two halves
		for _, x := range tensors.MustCopyFlatData[uint64](val) {
			out = append(out, float64(x>>32), float64(x&0xffffffff))
		}
	default:
		t.Fatalf("%s: unexpected dtype %s", v.Path(), val.DType())
	}
	return out
}

func TestDataParallelErrors(t *testing.T) {
	backend := testBackend(t)
	s := MustNewSchedule(ScheduleConfig{T: 10, BetaStart: 1e-3, BetaEnd: 0.2})
	n := backend.NumDevices()
	if _, err := NewTrainer(backend, model.NewStore(), s, smallMLP, TrainConfig{Devices: n + 1}); err == nil || !strings.Contains(err.Error(), "use at most") {
		t.Errorf("Devices=%d on %d devices: err = %v, want 'use at most'", n+1, n, err)
	}
	if n < 2 {
		return
	}
	tr, err := NewTrainer(backend, model.NewStore(), s, smallMLP, TrainConfig{Devices: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.Step(tensors.FromFlatDataAndDimensions(make([]float32, 6), 3, 2)); err == nil || !strings.Contains(err.Error(), "divisible by 2") {
		t.Errorf("batch of 3 on 2 devices: err = %v, want 'divisible by 2'", err)
	}
}
