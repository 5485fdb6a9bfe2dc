package ddpm

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// labelBiasNet is ε_θ(x_t, t, y) = x_t·0 + b[y]: one learned scalar per
// label (3 classes and ∅), so that a step's gradient shows which labels the
// loss saw.
func labelBiasNet(scope *model.Scope, xt, t, y *Node) *Node {
	b := scope.WithInitializer(initializer.Zero).VariableWithShape("b", shapes.Make(xt.DType(), 4)).NodeValue(xt.Graph())
	return Add(MulScalar(xt, 0), InsertAxes(Gather(b, InsertAxes(y, -1)), -1)) // [B, 1]
}

// Guided against Eq. 6 written out: w = 0 is the conditional network alone,
// w = 2 is 3·ε(x, c) − 2·ε(x, ∅); one label broadcasts; bad input is refused.
func TestGuided(t *testing.T) {
	t.Parallel()
	// ε(x, t, y) = x·(y+1) + t: the conditional and null outputs differ.
	net := func(_ *model.Scope, xt, t, y *Node) *Node {
		return Add(Mul(xt, InsertAxes(ConvertDType(AddScalar(y, 1), xt.DType()), -1)), InsertAxes(ConvertDType(t, xt.DType()), -1))
	}
	x := []float64{0.5, -1, 2}
	tt := []int32{3, 7, 1}
	for _, c := range []struct {
		labels []int32
		w      float64
	}{{[]int32{0, 1, 2}, 0}, {[]int32{0, 1, 2}, 2}, {[]int32{1}, 0.5}} {
		g, err := Guided(net, 3, c.labels, c.w)
		if err != nil {
			t.Fatal(err)
		}
		got := flat64(run1(t, func(x, t *Node) *Node { return g(nil, InsertAxes(x, -1), t) }, tensors.FromValue(x), tensors.FromValue(tt)))
		for i := range x {
			y := c.labels[0]
			if len(c.labels) > 1 {
				y = c.labels[i]
			}
			cond, null := x[i]*float64(y+1)+float64(tt[i]), x[i]*4+float64(tt[i]) // ∅ = 3
			if want := (1+c.w)*cond - c.w*null; math.Abs(got[i]-want) > 1e-12 {
				t.Errorf("labels %v w=%g: example %d: %g, want %g", c.labels, c.w, i, got[i], want)
			}
		}
	}
	for _, bad := range []struct {
		labels []int32
		w      float64
	}{{nil, 1}, {[]int32{4}, 1}, {[]int32{-1}, 1}, {[]int32{1}, -0.5}, {[]int32{1}, math.NaN()}, {[]int32{1}, 1e300}, {[]int32{1}, 3.5e38}} {
		if _, err := Guided(net, 3, bad.labels, bad.w); err == nil {
			t.Errorf("Guided(labels %v, w %g) accepted", bad.labels, bad.w)
		}
	}
	// The largest weight accepted keeps 1 + w a finite float32.
	if _, err := Guided(net, 3, []int32{1}, MaxGuidance); err != nil || math.IsInf(float64(float32(1+MaxGuidance)), 0) {
		t.Errorf("w = MaxGuidance: %v", err)
	}
	if _, err := Guided(net, 3, []int32{1}, 1e300); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("w = 1e300: %v, want an error naming float32", err)
	}
}

// Label dropping (Ho & Salimans Algorithm 1): with PUncond ≈ 0 a step moves
// only the biases of the labels in the batch, with PUncond ≈ 1 only ∅'s.
func TestCondTrainerDropsLabels(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 8, BetaStart: 0.05, BetaEnd: 0.4})
	x0 := tensors.FromFlatDataAndDimensions([]float32{0.5, -0.5, 0.25, 1}, 4, 1)
	y := tensors.FromValue([]int32{0, 0, 2, 2})
	moved := func(p float64) []bool {
		store := model.NewStore()
		tr, err := NewCondTrainer(testBackend(t), store, s, labelBiasNet, TrainConfig{LearningRate: 0.1, Seed: 2, NumClasses: 3, PUncond: p})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.StepLabeled(x0, y); err != nil {
			t.Fatal(err)
		}
		b := tensors.MustCopyFlatData[float32](store.GetVariable("/" + NetScope + "/b").MustValue())
		out := make([]bool, len(b))
		for i, v := range b {
			out[i] = v != 0
		}
		return out
	}
	if got, want := moved(1e-9), []bool{true, false, true, false}; !equalBools(got, want) {
		t.Errorf("PUncond ≈ 0: labels moved %v, want %v", got, want)
	}
	if got, want := moved(0.999999), []bool{false, false, false, true}; !equalBools(got, want) {
		t.Errorf("PUncond ≈ 1: labels moved %v, want %v (∅ only)", got, want)
	}
	store := model.NewStore()
	tr, err := NewCondTrainer(testBackend(t), store, s, labelBiasNet, TrainConfig{NumClasses: 3})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Config.PUncond != DefaultPUncond {
		t.Errorf("PUncond default %g, want %g", tr.Config.PUncond, DefaultPUncond)
	}
	if _, _, err := tr.Step(x0); err == nil {
		t.Error("Step without labels accepted on a class-conditional trainer")
	}
	if _, _, err := tr.StepLabeled(x0, tensors.FromValue([]int64{0, 1, 2, 0})); err == nil {
		t.Error("int64 labels accepted")
	}
	if _, err := NewCondTrainer(testBackend(t), model.NewStore(), s, labelBiasNet, TrainConfig{NumClasses: 3, PUncond: 1}); err == nil {
		t.Error("PUncond = 1 accepted")
	}
	if _, err := NewTrainer(testBackend(t), model.NewStore(), s, linearEpsNet(s.T), TrainConfig{NumClasses: 3}); err == nil {
		t.Error("NewTrainer with NumClasses accepted")
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// GuidedWithin against Eq. 6 applied only where the mask is on: at a step
// outside the interval the output is the conditional network's, inside it is
// (1 + w)·cond − w·uncond; a mask that is nowhere on is the conditional network.
func TestGuidedWithinInterval(t *testing.T) {
	t.Parallel()
	net := func(_ *model.Scope, xt, t, y *Node) *Node {
		return Add(Mul(xt, InsertAxes(ConvertDType(AddScalar(y, 1), xt.DType()), -1)), InsertAxes(ConvertDType(t, xt.DType()), -1))
	}
	x := []float64{0.5, -1, 2, 3}
	tt := []int32{0, 1, 2, 3}
	on := []bool{false, true, true, false}
	const w = 1.5
	for _, mask := range [][]bool{on, {false, false, false, false}} {
		g, err := GuidedWithin(net, 3, []int32{1}, w, mask)
		if err != nil {
			t.Fatal(err)
		}
		got := flat64(run1(t, func(x, t *Node) *Node { return g(nil, InsertAxes(x, -1), t) }, tensors.FromValue(x), tensors.FromValue(tt)))
		for i := range x {
			cond, null := x[i]*2+float64(tt[i]), x[i]*4+float64(tt[i])
			want := cond
			if mask[tt[i]] {
				want = (1+w)*cond - w*null
			}
			if math.Abs(got[i]-want) > 1e-12 {
				t.Errorf("mask %v: t=%d: %g, want %g", mask, tt[i], got[i], want)
			}
		}
	}
}

// The interval in σ_t = √((1−ᾱ_t)/ᾱ_t) picks the steps of the schedule
// whose noise level lies in (lo, hi]: on the linear schedule of Ho et al.
// (T = 1000) ᾱ at index 0 is 1 − β_1 = 0.9999 (β_1 = 10⁻⁴, their §4), σ = 0.01, and σ
// grows with t, so the mask is one run of consecutive indices.
func TestGuidanceIntervalMask(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	sig := Sigmas(s)
	if math.Abs(sig[0]-math.Sqrt(1e-4/0.9999)) > 1e-12 {
		t.Errorf("σ at index 0 = %g, want √(1e-4/0.9999)", sig[0])
	}
	iv := GuidanceInterval{Lo: 0.3, Hi: 5}
	m := iv.Mask(s)
	first, last, runs := -1, -1, 0
	for i, on := range m {
		if on != (sig[i] > 0.3 && sig[i] <= 5) {
			t.Fatalf("index %d: on=%v with σ=%g", i, on, sig[i])
		}
		if on && (i == 0 || !m[i-1]) {
			runs++
			first = i
		}
		if on {
			last = i
		}
	}
	if runs != 1 || first <= 0 || last >= s.T-1 {
		t.Errorf("mask of (0.3, 5]: %d runs from %d to %d, want one inner run", runs, first, last)
	}
	if (GuidanceInterval{}).Mask(s) != nil {
		t.Error("zero interval: want nil (every step)")
	}
	var parsed GuidanceInterval
	if err := parsed.UnmarshalText([]byte("all")); err != nil || !parsed.IsZero() {
		t.Errorf(`"all" parsed as %v, %v; want every step (the zero value)`, parsed, err)
	}
	if err := parsed.UnmarshalText([]byte("0.3, inf")); err != nil || parsed.Lo != 0.3 || !math.IsInf(parsed.Hi, 1) {
		t.Errorf("0.3,inf: %v %v", parsed, err)
	}
	if parsed.String() != "0.3,+Inf" {
		t.Errorf("String %q", parsed.String())
	}
	for _, bad := range []string{"", "1", "2,1", "1,1", "-1,2", "a,b", "nan,1", "0,0"} {
		var v GuidanceInterval
		if err := v.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted as %v", bad, v)
		}
	}
}
