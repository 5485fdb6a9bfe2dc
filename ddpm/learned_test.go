package ddpm

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// Nichol & Dhariwal Eq. 15 at its ends and in between: v = 1 gives log β_t,
// v = 0 gives log β̃_t (clipped at index 0), any v the log-linear mix.
func TestLearnedLogVariance(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 50})
	ts := []int32{0, 1, 7, 25, 49}
	vs := []float64{1, 0, 0.3, -0.5, 1.7}
	got := flat64(run1(t, func(v, tt *Node) *Node { return LearnedLogVariance(s, v, tt) },
		tensors.FromValue(vs), tensors.FromValue(ts)))
	for i, ti := range ts {
		want := vs[i]*math.Log(s.Betas[ti]) + (1-vs[i])*s.PosteriorLogVarClipped[ti]
		if math.Abs(got[i]-want) > 1e-12 {
			t.Errorf("t=%d v=%g: log Σ = %g, want %g", ti, vs[i], got[i], want)
		}
	}
	// The ends are the fixed choices' tables.
	for _, ti := range []int{1, 25, 49} {
		one := flat64(run1(t, func(v, tt *Node) *Node { return LearnedLogVariance(s, v, tt) }, tensors.FromValue([]float64{1}), tensors.FromValue([]int32{int32(ti)})))
		zero := flat64(run1(t, func(v, tt *Node) *Node { return LearnedLogVariance(s, v, tt) }, tensors.FromValue([]float64{0}), tensors.FromValue([]int32{int32(ti)})))
		if math.Abs(one[0]-s.ReverseLogVariance(FixedLarge)[ti]) > 1e-12 || math.Abs(zero[0]-s.ReverseLogVariance(FixedSmall)[ti]) > 1e-12 {
			t.Errorf("t=%d: v=1 → %g (β: %g), v=0 → %g (β̃: %g)", ti, one[0], s.ReverseLogVariance(FixedLarge)[ti], zero[0], s.ReverseLogVariance(FixedSmall)[ti])
		}
	}
}

// The hybrid loss's L_vlb term is the existing VLB term at the same variance
// (v = 0: β̃, v = 1: β for t ≥ 1); L_hybrid = L_simple + λ T mean(L_vlb); and
// the mean's gradient is stopped inside L_vlb: ∂L_hybrid/∂pred = ∂L_simple/∂pred,
// while v gets a gradient.
func TestLHybrid(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 20})
	x0 := [][]float64{{0.5, -1}, {1, 0.25}, {-0.75, 0.1}}
	eps := [][]float64{{0.3, -1.2}, {0.8, 0.1}, {-0.4, 2}}
	pred := [][]float64{{0.2, -1}, {0.5, 0.4}, {-0.1, 1.5}}
	tt := []int32{0, 5, 19}
	outs := runN(t, func(x0, eps, p, tt *Node) []*Node {
		xt := QSample(s, x0, tt, eps)
		var res []*Node
		for _, c := range []struct {
			v    float64
			kind VarianceKind
		}{{0, FixedSmall}, {1, FixedLarge}} {
			v := AddScalar(ZerosLike(p), c.v)
			res = append(res, VLBTermLogVarBPD(s, PredictEps, p, LearnedLogVariance(s, v, tt), x0, xt, tt, 0), VLBTermBPD(s, c.kind, PredictEps, p, x0, xt, tt, 0))
		}
		v := AddScalar(ZerosLike(p), 0.4)
		out := Concatenate([]*Node{p, v}, -1)
		h := LHybrid(s, PredictEps, out, x0, eps, xt, tt, 0.01, nil)
		simple := LSimple(s, PredictEps, p, x0, eps, tt)
		vlb := ReduceAllMean(VLBTermLogVarBPD(s, PredictEps, p, LearnedLogVariance(s, v, tt), x0, xt, tt, 0))
		gh := Gradient(h, out)[0]
		gs := Gradient(simple, p)[0]
		ghp, ghv := SplitLearned(gh)
		return append(res, h, simple, vlb, ReduceAllMax(Abs(Sub(ghp, gs))), ReduceAllMax(Abs(ghv)))
	}, tensors.FromValue(x0), tensors.FromValue(eps), tensors.FromValue(pred), tensors.FromValue(tt))
	small, smallRef, large, largeRef := flat64(outs[0]), flat64(outs[1]), flat64(outs[2]), flat64(outs[3])
	for b := range tt {
		if math.Abs(small[b]-smallRef[b]) > 1e-12 {
			t.Errorf("t=%d v=0: L_vlb %g, fixed-small %g", tt[b], small[b], smallRef[b])
		}
		if tt[b] > 0 && math.Abs(large[b]-largeRef[b]) > 1e-12 {
			t.Errorf("t=%d v=1: L_vlb %g, fixed-large %g", tt[b], large[b], largeRef[b])
		}
	}
	h, simple, vlb := tensors.ToScalar[float64](outs[4]), tensors.ToScalar[float64](outs[5]), tensors.ToScalar[float64](outs[6])
	if want := simple + 0.01*float64(s.T)*vlb; math.Abs(h-want) > 1e-12*want {
		t.Errorf("L_hybrid = %g, want L_simple + λ T L_vlb = %g", h, want)
	}
	if d, gv := tensors.ToScalar[float64](outs[7]), tensors.ToScalar[float64](outs[8]); d > 1e-15 || gv == 0 {
		t.Errorf("max |∂L_hybrid/∂pred − ∂L_simple/∂pred| = %g (want 0: the mean is stopped in L_vlb); max |∂L_hybrid/∂v| = %g (want > 0)", d, gv)
	}
}

// Respacing keeps ᾱ at the kept steps; keeping every step gives s back.
func TestRespace(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 100, Kind: CosineSchedule})
	all := make([]int, s.T)
	for i := range all {
		all[i] = i
	}
	r, err := Respace(s, all)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Betas {
		if math.Abs(r.Betas[i]-s.Betas[i]) > 1e-12 {
			t.Fatalf("respaced with every step: β[%d] = %g, want %g", i, r.Betas[i], s.Betas[i])
		}
	}
	ts := SampleConfig{Kind: DDIM, Steps: 10}.Timesteps(s.T)
	slices.Reverse(ts)
	r, err = Respace(s, ts)
	if err != nil {
		t.Fatal(err)
	}
	for i, ti := range ts {
		if math.Abs(r.AlphasBar[i]-s.AlphasBar[ti]) > 1e-12 {
			t.Errorf("ᾱ'[%d] = %g, want ᾱ[%d] = %g", i, r.AlphasBar[i], ti, s.AlphasBar[ti])
		}
	}
	for _, bad := range [][]int{nil, {5, 5}, {3, 1}, {0, 100}} {
		if _, err := Respace(s, bad); err == nil {
			t.Errorf("Respace(%v) accepted", bad)
		}
	}
}

// A learned-variance network that outputs v = 0 (v = 1) samples exactly as
// the fixed-small (fixed-large) variance with the same noise; respacing with
// every step changes nothing; the NLL with v = 0 is the fixed-small NLL.
func TestLearnedVarianceSampling(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 30})
	backend := testBackend(t)
	base := GaussianDataEps(s, 0.5, 0.25)
	withV := func(v float64) Net {
		return func(scope *model.Scope, xt, t *Node) *Node {
			e := base(scope, xt, t)
			return Concatenate([]*Node{e, AddScalar(ZerosLike(e), v)}, -1)
		}
	}
	sample := func(net Net, s *Schedule, kind VarianceKind) []float64 {
		sm, err := NewSampler(backend, model.NewStore(), s, net, SampleConfig{Variance: kind})
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.SampleNoise(backend, []int{64, 1}, 3)
		if err != nil {
			t.Fatal(err)
		}
		return flat32(x0)
	}
	for _, c := range []struct {
		v    float64
		kind VarianceKind
	}{{0, FixedSmall}, {1, FixedLarge}} {
		got, want := sample(withV(c.v), s, Learned), sample(base, s, c.kind)
		if d := maxAbs(got, want); d > 1e-5 {
			t.Errorf("learned v=%g vs %v: max diff %g", c.v, c.kind, d)
		}
	}
	all := make([]int, s.T)
	for i := range all {
		all[i] = i
	}
	r, _ := Respace(s, all)
	if d := maxAbs(sample(RespacedNet(withV(0.5), all), r, Learned), sample(withV(0.5), s, Learned)); d > 1e-5 {
		t.Errorf("respaced with every step: max diff %g", d)
	}
	x0 := tensors.FromFlatDataAndDimensions([]float32{0.2, -0.6, 1, -1}, 4, 1)
	nll := func(net Net, kind VarianceKind) float64 {
		res, err := NLL(backend, model.NewStore(), s, net, NLLConfig{Variance: kind, Seed: 2}, x0)
		if err != nil {
			t.Fatal(err)
		}
		return res.Mean
	}
	if a, b := nll(withV(0), Learned), nll(base, FixedSmall); math.Abs(a-b) > 1e-5*math.Abs(b) {
		t.Errorf("NLL learned v=0 %g, fixed-small %g", a, b)
	}
}

func maxAbs(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// The Trainer's LearnVariance: L_hybrid's extra term reaches the variance
// coefficients (they move from 0) and the reported loss is larger than
// L_simple's by λ T L_vlb > 0.
func TestTrainerLearnVariance(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 8, BetaStart: 0.05, BetaEnd: 0.4})
	eps := linearEpsNet(s.T)
	net := func(scope *model.Scope, xt, t *Node) *Node {
		v := scope.WithInitializer(initializer.Zero).VariableWithShape("v", shapes.Make(xt.DType(), s.T)).NodeValue(xt.Graph())
		vt := InsertAxes(Gather(v, InsertAxes(t, -1)), -1) // [B, 1]
		return Concatenate([]*Node{eps(scope, xt, t), vt}, -1)
	}
	x0 := tensors.FromFlatDataAndDimensions([]float32{0.5, -0.5, 0.25, 1, -1, 0, 0.75, -0.25}, 8, 1)
	store := model.NewStore()
	tr, err := NewTrainer(testBackend(t), store, s, net, TrainConfig{LearningRate: 0.01, Seed: 5, LearnVariance: true})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Config.HybridLambda != DefaultHybridLambda {
		t.Errorf("HybridLambda default %g, want %g", tr.Config.HybridLambda, DefaultHybridLambda)
	}
	for range 3 {
		if _, _, err := tr.Step(x0); err != nil {
			t.Fatal(err)
		}
	}
	v := tensors.MustCopyFlatData[float32](store.GetVariable("/" + NetScope + "/v").MustValue())
	if slices.Max(v) == 0 && slices.Min(v) == 0 {
		t.Errorf("the variance coefficients did not move: %v", v)
	}
	if _, err := NewTrainer(testBackend(t), model.NewStore(), s, net, TrainConfig{LearnVariance: true, HybridLambda: -1}); err == nil {
		t.Error("HybridLambda = -1 accepted")
	}
}
