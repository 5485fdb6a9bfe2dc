package ddpm

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Eq. 4 (closed form) against Eq. 2 iterated, by Monte Carlo: both must give
// x_t ~ N(√ᾱ_t x_0, 1−ᾱ_t) for every x_0.
func TestClosedFormMatchesIteratedChain(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 300, Rescale: true})
	const n = 20000
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = []float64{-1, 0.25, 1}[i%3]
	}
	for _, step := range []int{0, 49, 299} {
		rng, _ := RNGStateFromSeed(int64(7 + step))
		outs := runN(t, func(x0, rng *Node) []*Node {
			rng, xChain := ForwardChain(s, x0, rng, step)
			_, eps := RandomNormal(rng, x0.Shape())
			xClosed := QSample(s, x0, Const(x0.Graph(), int32(step)), eps)
			return []*Node{xChain, xClosed}
		}, tensors.FromValue(x0), rng)
		chain, closed := flat64(outs[0]), flat64(outs[1])
		wantVar := 1 - s.AlphasBar[step]
		for k, x := range []float64{-1, 0.25, 1} {
			for name, xs := range map[string][]float64{"chain (Eq. 2 iterated)": chain, "closed form (Eq. 4)": closed} {
				var sub []float64
				for i := k; i < n; i += 3 {
					sub = append(sub, xs[i])
				}
				m, v := moments(sub)
				wantMean := s.SqrtAlphasBar[step] * x
				if math.Abs(m-wantMean) > mcTol(5, wantVar, len(sub)) || math.Abs(v-wantVar) > varTol(5, wantVar, len(sub)) {
					t.Errorf("t index %d, x0=%g, %s: mean %.5f var %.5f, want %.5f and %.5f", step, x, name, m, v, wantMean, wantVar)
				}
			}
		}
	}
}

// One step of Eq. 2 in the graph against float64 arithmetic with the same noise.
func TestQStepExact(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	x := []float64{-0.5, 0.1, 0.9}
	z := []float64{0.3, -1.2, 2}
	ts := []int32{0, 400, 999}
	got := flat64(run1(t, func(x, z, tt *Node) *Node { return QStep(s, x, tt, z) },
		tensors.FromValue(x), tensors.FromValue(z), tensors.FromValue(ts)))
	for i := range x {
		b := s.Betas[ts[i]]
		want := math.Sqrt(1-b)*x[i] + math.Sqrt(b)*z[i]
		if math.Abs(got[i]-want) > 1e-14 {
			t.Errorf("QStep[%d] = %.17g, want %.17g", i, got[i], want)
		}
	}
	// The merge identity of the notes: (1−α_t) + α_t(1−α_{t−1}) = 1 − α_t α_{t−1}.
	a1, a2 := s.Alphas[10], s.Alphas[9]
	if got := MergeGaussians(1-a1, a1*(1-a2)); math.Abs(got-(1-a1*a2)) > 1e-16 {
		t.Errorf("merge = %g, want %g", got, 1-a1*a2)
	}
}

// QMeanStd (Eq. 4's mean √ᾱ_t x_0 and std √(1−ᾱ_t)) and PosteriorVarianceAt
// (Eq. 7's β̃_t) at a batch of array indices, against float64 references
// computed here from the β_t alone: ᾱ_t = ∏_{s≤t} (1−β_s) and
// β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) · β_t (ᾱ_0 = 1, so β̃ = 0 at index 0).
func TestQMeanStdAndPosteriorVarianceAt(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{Kind: CosineSchedule, T: 200})
	ab := make([]float64, s.T)
	prod := 1.0
	for i, b := range s.Betas {
		prod *= 1 - b
		ab[i] = prod
	}
	ts := []int32{0, 1, 57, 199}
	x0 := []float64{0.5, -1, 2, 0.25}
	outs := runN(t, func(x0, tt *Node) []*Node {
		mean, std := QMeanStd(s, x0, tt)
		return []*Node{mean, std, PosteriorVarianceAt(s, tt, x0)}
	}, tensors.FromValue(x0), tensors.FromValue(ts))
	mean, std, pv := flat64(outs[0]), flat64(outs[1]), flat64(outs[2])
	for i, t32 := range ts {
		k := int(t32)
		prev := 1.0
		if k > 0 {
			prev = ab[k-1]
		}
		wantPV := (1 - prev) / (1 - ab[k]) * s.Betas[k]
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"mean", mean[i], math.Sqrt(ab[k]) * x0[i]}, {"std", std[i], math.Sqrt(1 - ab[k])}, {"β̃", pv[i], wantPV}} {
			if math.Abs(c.got-c.want) > 1e-12*(1+math.Abs(c.want)) {
				t.Errorf("index %d: %s = %.15g, want %.15g", k, c.name, c.got, c.want)
			}
		}
	}
}
