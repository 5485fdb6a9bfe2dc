package ddpm

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The weights against their closed forms, written out from ᾱ (not from the
// SNR table), and the identity that makes the three targets one loss: the
// weighted squared error of ε, x_0 and v is the same min(SNR, γ)‖x_0 − x̂_0‖²
// when the three predictions describe the same x̂_0.
func TestMinSNRWeights(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 1000})
	const gamma = 5
	for _, pred := range []Prediction{PredictEps, PredictX0, PredictV} {
		w, err := MinSNRWeights(s, pred, gamma)
		if err != nil {
			t.Fatal(err)
		}
		for i, ab := range s.AlphasBar {
			snr := ab / (1 - ab)
			want := math.Min(snr, gamma)
			switch pred {
			case PredictEps:
				want /= snr
			case PredictV:
				want /= snr + 1
			}
			if math.Abs(w[i]-want) > 1e-12*math.Max(1, want) {
				t.Fatalf("%v: w[%d] = %g, want %g", pred, i, w[i], want)
			}
		}
	}
	// ε: 1 exactly where SNR ≤ γ (the noisy steps), γ/SNR < 1 before.
	w, _ := MinSNRWeights(s, PredictEps, gamma)
	if w[999] != 1 || !(w[0] < 1e-3) {
		t.Errorf("eps weights: w[0] = %g (want γ/SNR_0 ≈ %g), w[999] = %g (want 1)", w[0], gamma/s.SNR[0], w[999])
	}
	// For one x̂_0 error, ‖ε−ε̂‖² = SNR·‖x0−x̂0‖² and ‖v−v̂‖² = (SNR+1)·‖x0−x̂0‖².
	for _, i := range []int{0, 100, 500, 999} {
		snr := s.SNR[i]
		we, _ := MinSNRWeights(s, PredictEps, gamma)
		wx, _ := MinSNRWeights(s, PredictX0, gamma)
		wv, _ := MinSNRWeights(s, PredictV, gamma)
		le, lx, lv := we[i]*snr, wx[i], wv[i]*(snr+1)
		if math.Abs(le-lx) > 1e-9*lx || math.Abs(lv-lx) > 1e-9*lx {
			t.Errorf("index %d: weighted x0-errors differ: eps %g, x0 %g, v %g", i, le, lx, lv)
		}
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := MinSNRWeights(s, PredictEps, bad); err == nil {
			t.Errorf("γ = %g accepted", bad)
		}
	}
}

// LSimpleWeighted: nil weights give LSimple; all-ones weights give LSimple;
// otherwise the per-example weighted mean, checked against float64.
func TestLSimpleWeighted(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 10})
	x0 := [][]float64{{0.5, -0.25}, {1, 0}, {-1, 0.75}}
	eps := [][]float64{{1, 2}, {-0.5, 0.5}, {0, -1}}
	out := [][]float64{{0.5, 1}, {0, 0}, {1, -1}}
	tt := []int32{0, 4, 9}
	w := make([]float64, 10)
	ones := make([]float64, 10)
	for i := range w {
		w[i], ones[i] = float64(i+1)/4, 1
	}
	got := flat64s(runN(t, func(o, x, e, ti *Node) []*Node {
		return []*Node{
			LSimple(s, PredictEps, o, x, e, ti),
			LSimpleWeighted(s, PredictEps, o, x, e, ti, nil),
			LSimpleWeighted(s, PredictEps, o, x, e, ti, ones),
			LSimpleWeighted(s, PredictEps, o, x, e, ti, w),
		}
	}, tensors.FromValue(out), tensors.FromValue(x0), tensors.FromValue(eps), tensors.FromValue(tt)))
	var want float64
	for b := range 3 {
		var se float64
		for d := range 2 {
			diff := eps[b][d] - out[b][d]
			se += diff * diff
		}
		want += w[tt[b]] * se / 2
	}
	want /= 3
	ref := got[0]
	for i, name := range []string{"nil weights", "unit weights"} {
		if v := got[1+i]; math.Abs(v-ref) > 1e-12 {
			t.Errorf("%s: %g, want LSimple %g", name, v, ref)
		}
	}
	if v := got[3]; math.Abs(v-want) > 1e-12*want {
		t.Errorf("weighted: %g, want %g", v, want)
	}
}

// The Trainer applies MinSNRGamma: with γ above every SNR the ε weights are
// all 1 and the first step's loss is L_simple's (same seed, same t and ε);
// γ = 1 changes it; a bad γ is refused.
func TestTrainerMinSNR(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 8, BetaStart: 0.05, BetaEnd: 0.4})
	x0 := tensors.FromFlatDataAndDimensions([]float32{0.5, -0.5, 0.25, 1, -1, 0, 0.75, -0.25}, 8, 1)
	firstLoss := func(gamma float64) float64 {
		tr, err := NewTrainer(testBackend(t), model.NewStore(), s, linearEpsNet(s.T), TrainConfig{LearningRate: 0.01, Seed: 5, MinSNRGamma: gamma})
		if err != nil {
			t.Fatal(err)
		}
		loss, _, err := tr.Step(x0)
		if err != nil {
			t.Fatal(err)
		}
		return loss
	}
	plain, huge, one := firstLoss(0), firstLoss(1e30), firstLoss(1)
	if math.Abs(huge-plain) > 1e-6*plain {
		t.Errorf("γ=1e30: loss %g, want L_simple's %g", huge, plain)
	}
	if math.Abs(one-plain) < 1e-3*plain {
		t.Errorf("γ=1: loss %g equals L_simple's %g: the weights were not applied", one, plain)
	}
	if _, err := NewTrainer(testBackend(t), model.NewStore(), s, linearEpsNet(s.T), TrainConfig{MinSNRGamma: -1}); err == nil {
		t.Error("MinSNRGamma = -1 accepted")
	}
}
