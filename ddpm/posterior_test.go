package ddpm

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// μ̃ computed from the true ε (the ε form) equals μ̃ computed from x_0 (Eq. 7),
// for x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, at every kind of schedule and many t.
func TestPosteriorMeanEpsFormEqualsX0Form(t *testing.T) {
	t.Parallel()
	for _, kind := range ScheduleKinds {
		s := MustNewSchedule(ScheduleConfig{Kind: kind})
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 64
		x0, eps, ts := make([]float64, n), make([]float64, n), make([]int32, n)
		for i := range n {
			x0[i], eps[i], ts[i] = 2*rng.Float64()-1, rng.NormFloat64(), int32(rng.IntN(s.T))
		}
		outs := runN(t, func(x0, eps, tt *Node) []*Node {
			xt := QSample(s, x0, tt, eps)
			return []*Node{PosteriorMeanFromX0(s, xt, x0, tt), PosteriorMeanFromEps(s, xt, eps, tt)}
		}, tensors.FromValue(x0), tensors.FromValue(eps), tensors.FromValue(ts))
		a, b := flat64(outs[0]), flat64(outs[1])
		for i := range a {
			// The ε form divides by √α_t and √(1−ᾱ_t): relative float64 error
			// grows like 1/√(1−ᾱ_t) at t=1 (≈100 for the linear schedule).
			if math.Abs(a[i]-b[i]) > 1e-11*(1+math.Abs(a[i])) {
				t.Errorf("%s t=%d: μ̃(x0)=%.15g, μ̃(ε)=%.15g", kind, ts[i], a[i], b[i])
			}
		}
	}
}

// The closed form (Eqs. 6–7) against Bayes' rule evaluated on a grid.
func TestPosteriorClosedFormMatchesBayesGrid(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	for _, c := range []struct {
		t      int
		x0, xt float64
	}{{1, 0.5, 0.4}, {10, -1, -0.7}, {250, 0.3, 1.2}, {999, 1, -2}} {
		mean, variance := s.Posterior1D(c.t, c.x0, c.xt)
		sd := math.Sqrt(variance)
		grid, err := s.BayesPosterior1D(c.t, c.x0, c.xt, mean-12*sd, mean+12*sd, 20001)
		if err != nil {
			t.Fatal(err)
		}
		// Trapezoid error on a smooth Gaussian over ±12σ with h = 24σ/20000 is far below 1e-9 relative.
		if math.Abs(grid.Mean-mean) > 1e-9*sd || math.Abs(grid.Variance-variance) > 1e-8*variance {
			t.Errorf("t=%d: grid mean %.12g var %.12g; closed form %.12g, %.12g", c.t, grid.Mean, grid.Variance, mean, variance)
		}
		// The density itself, point by point.
		for i := 0; i < len(grid.X); i += 997 {
			want := math.Exp(logNormal(grid.X[i], mean, variance))
			if math.Abs(grid.Density[i]-want) > 1e-7*(want+1e-3/sd) {
				t.Errorf("t=%d: density at %g = %g, want %g", c.t, grid.X[i], grid.Density[i], want)
			}
		}
	}
	if _, err := s.BayesPosterior1D(0, 0, 0, -1, 1, 100); err == nil {
		t.Error("index 0 should be rejected")
	}
	if _, err := s.BayesPosterior1D(5, 0, 0, 1, -1, 100); err == nil {
		t.Error("an empty grid should be rejected")
	}
}

// Monte Carlo: draw x_{t−1} ~ q(x_{t−1}|x_0) (Eq. 4) then x_t ~ q(x_t|x_{t−1})
// (Eq. 2); among draws whose x_t falls in a narrow bin, x_{t−1} must follow
// the closed-form posterior N(μ̃, β̃).
func TestPosteriorMonteCarlo(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{T: 100, Rescale: true})
	const step, x0 = 40, 0.7
	rng := rand.New(rand.NewPCG(3, 4))
	target, half := 0.3, 0.005
	var kept []float64
	for len(kept) < 20000 {
		xPrev := math.Sqrt(s.AlphasBarPrev[step])*x0 + math.Sqrt(1-s.AlphasBarPrev[step])*rng.NormFloat64()
		xt := math.Sqrt(s.Alphas[step])*xPrev + math.Sqrt(s.Betas[step])*rng.NormFloat64()
		if math.Abs(xt-target) < half {
			kept = append(kept, xPrev)
		}
	}
	mean, variance := s.Posterior1D(step, x0, target)
	m, v := moments(kept)
	// Tolerance: 5 standard errors plus the bin's own smear (coef2 · half).
	if math.Abs(m-mean) > mcTol(5, variance, len(kept))+s.PosteriorMeanCoef2[step]*half ||
		math.Abs(v-variance) > varTol(5, variance, len(kept))+variance*0.01 {
		t.Errorf("MC posterior mean %.5f var %.6f; closed form %.5f, %.6f", m, v, mean, variance)
	}
}
