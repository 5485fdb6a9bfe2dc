package ddpm

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// LogSNRTimes follows its law: 40,000 draws on a 50-step cosine schedule
// against P(t = i) = Φ((λ_{i−1}−μ)/σ) − Φ((λ_i−μ)/σ) computed here in
// float64 from the schedule's ᾱ (the end indices take the tails), each bin
// within 5 of its binomial standard deviations (+1 draw of slack); the
// trainer accepts the option and refuses a mean without a spread.
func TestLogSNRTimesLaw(t *testing.T) {
	s := MustNewSchedule(ScheduleConfig{Kind: CosineSchedule, T: 50})
	const n, mean, std = 40000, 2.4, 2.4
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	exec := model.MustNewExec(testBackend(t), store, func(scope *model.Scope, g *Graph) *Node {
		return LogSNRTimes(scope, g, s, n, mean, std)
	})
	draws := exec.MustCall()[0]
	if draws.DType() != dtypes.Int32 {
		t.Fatalf("dtype %s", draws.DType())
	}
	count := make([]float64, s.T)
	for _, v := range tensors.MustCopyFlatData[int32](draws) {
		count[v]++
	}
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	upper := 1.0 // P(λ ≤ +∞)
	for i := range s.T {
		lower := 0.0
		if i < s.T-1 {
			lower = phi((math.Log(s.AlphasBar[i]/(1-s.AlphasBar[i])) - mean) / std) // P(λ < λ_i)
		}
		p := upper - lower
		upper = lower
		if sd := math.Sqrt(n * p * (1 - p)); math.Abs(count[i]-n*p) > 5*sd+1 {
			t.Errorf("index %d: %g draws, want %.1f ± %.1f", i, count[i], n*p, sd)
		}
	}
	if _, err := NewTrainer(testBackend(t), model.NewStore(), s, linearEpsNet(s.T), TrainConfig{TimeLogSNRMean: 1}); err == nil {
		t.Error("a log-SNR mean without a spread was accepted")
	}
	tr, err := NewTrainer(testBackend(t), model.NewStore(), s, linearEpsNet(s.T), TrainConfig{TimeLogSNRMean: mean, TimeLogSNRStd: std, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if loss, _, err := tr.Step(tensors.FromValue([][]float32{{0.5}, {-0.5}})); err != nil || math.IsNaN(loss) {
		t.Errorf("a step with log-SNR-normal t: %g, %v", loss, err)
	}
}
