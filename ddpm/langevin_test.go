package ddpm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

var (
	// Well separated 1-D mixture: weights 0.3/0.7, means ∓2, variances 0.25/0.36.
	mix1D = &GaussianMixture{Weights: []float64{0.3, 0.7}, Means: [][]float64{{-2}, {2}}, Variances: []float64{0.25, 0.36}}
	// 2-D mixture of three isotropic components.
	mix2D = &GaussianMixture{Weights: []float64{0.5, 0.25, 0.25},
		Means: [][]float64{{0, 2}, {-2, -1}, {2, -1}}, Variances: []float64{0.2, 0.3, 0.3}}
)

func TestMixtureScoreIsGradientOfLogDensity(t *testing.T) {
	t.Parallel()
	pts := [][]float64{{0.3, -0.2}, {-1.5, 0.7}, {2.2, -1.1}, {0, 0}}
	flat := make([]float64, 0, 8)
	for _, p := range pts {
		flat = append(flat, p...)
	}
	got := flat64(run1(t, func(x *Node) *Node { return mix2D.Score(Reshape(x, 4, 2)) }, tensors.FromValue(flat)))
	const h = 1e-5 // central differences of LogDensity: error O(h²)
	for i, p := range pts {
		for d := range 2 {
			q1, q2 := append([]float64(nil), p...), append([]float64(nil), p...)
			q1[d] += h
			q2[d] -= h
			want := (mix2D.LogDensity(q1) - mix2D.LogDensity(q2)) / (2 * h)
			if math.Abs(got[2*i+d]-want) > 1e-6 {
				t.Errorf("score at %v dim %d = %.9g, finite difference %.9g", p, d, got[2*i+d], want)
			}
		}
	}
}

// langevinRun runs n independent chains from N(0, 4I) for K steps of size δ.
func langevinRun(t *testing.T, score ScoreFn, dim, n, K int, delta float64, seed int64) [][]float64 {
	rng, _ := RNGStateFromSeed(seed)
	out := flat32(run1(t, func(rng *Node) *Node {
		rng, x0 := RandomNormal(rng, shapes.Make(dtypes.Float32, n, dim))
		_, x := LangevinChain(score, MulScalar(x0, 2), rng, delta, K)
		return x
	}, rng))
	pts := make([][]float64, n)
	for i := range pts {
		pts[i] = out[i*dim : (i+1)*dim]
	}
	return pts
}

// Mode weights and per-mode moments of Langevin samples against the mixture.
// Chains start from N(0, 4I): each chain falls into a mode and barely crosses
// (the barrier at x=0 is ~8 nats), so the *weights* come from the start
// distribution, not the target — that is what annealing fixes (next test).
// Within each mode the law must be the component's.
func TestLangevinMixtureModes(t *testing.T) {
	t.Parallel()
	const n = 4000
	pts := langevinRun(t, mix1D.Score, 1, n, 2000, 0.01, 3)
	for k, mu := range []float64{-2, 2} {
		var in []float64
		for _, p := range pts {
			if (p[0] > 0) == (mu > 0) {
				in = append(in, p[0])
			}
		}
		m, v := moments(in)
		// Discretised Langevin's stationary variance is v/(1 − δ/(4v)) (OU process): +1 % at δ=0.01.
		wantV := mix1D.Variances[k] / (1 - 0.01/(4*mix1D.Variances[k]))
		if math.Abs(m-mu) > mcTol(6, wantV, len(in)) || math.Abs(v-wantV) > varTol(6, wantV, len(in)) {
			t.Errorf("mode %g: mean %.4f var %.4f, want %.4f and %.4f (%d samples)", mu, m, v, mu, wantV, len(in))
		}
	}
}

// Annealed Langevin (Song & Ermon 2019) recovers the mixture weights that
// plain Langevin cannot, in 1-D and 2-D: fraction in each mode within 5
// binomial standard errors plus 2 % (the finite ladder's bias).
func TestAnnealedLangevinMixtureWeights(t *testing.T) {
	t.Parallel()
	const n = 4000
	sigmas := make([]float64, 20) // geometric ladder 5 → 0.05
	for i := range sigmas {
		sigmas[i] = 5 * math.Pow(0.01, float64(i)/19)
	}
	for _, c := range []struct {
		mix    *GaussianMixture
		assign func(p []float64) int
	}{
		{mix1D, func(p []float64) int { return map[bool]int{true: 1, false: 0}[p[0] > 0] }},
		{mix2D, func(p []float64) int {
			best, bd := 0, math.Inf(1)
			for k, mu := range mix2D.Means {
				d := (p[0]-mu[0])*(p[0]-mu[0]) + (p[1]-mu[1])*(p[1]-mu[1])
				if d < bd {
					best, bd = k, d
				}
			}
			return best
		}},
	} {
		dim := c.mix.Dim()
		// ε = 0.2 σ_L²: Song & Ermon's ratio α_L/σ_L² (2e-5 / 0.01²), K = 100 as theirs.
		rng, _ := RNGStateFromSeed(9)
		out := flat32(run1(t, func(rng *Node) *Node {
			rng, x0 := RandomNormal(rng, shapes.Make(dtypes.Float32, n, dim))
			_, x := AnnealedLangevin(c.mix.ScoreAt(sigmas), MulScalar(x0, 5), rng, sigmas, 0.2*0.05*0.05, 100)
			return x
		}, rng))
		counts := make([]float64, len(c.mix.Weights))
		for i := range n {
			counts[c.assign(out[i*dim:(i+1)*dim])]++
		}
		// Moments: each coordinate's mean and variance against the mixture's
		// (Σ w_k μ_k and Σ w_k (v_k + μ_k²) − mean²), within 5 standard errors
		// plus 5 % for the ladder's bias (3× the Gaussian standard error of the
		// variance: a bimodal law's sample variance spreads more).
		for d := range dim {
			var xs []float64
			for i := range n {
				xs = append(xs, out[i*dim+d])
			}
			wantM, wantM2 := 0.0, 0.0
			for k, w := range c.mix.Weights {
				mu := c.mix.Means[k][d]
				wantM += w * mu
				wantM2 += w * (c.mix.Variances[k] + mu*mu)
			}
			wantV := wantM2 - wantM*wantM
			gm, gv := moments(xs)
			if math.Abs(gm-wantM) > mcTol(5, wantV, n)+0.05*math.Sqrt(wantV) || math.Abs(gv-wantV) > varTol(5, wantV, n)*3+0.05*wantV {
				t.Errorf("%d-D mixture, coordinate %d: mean %.3f var %.3f, want %.3f and %.3f", dim, d, gm, gv, wantM, wantV)
			}
		}
		for k, w := range c.mix.Weights {
			f := counts[k] / n
			if math.Abs(f-w) > 5*math.Sqrt(w*(1-w)/n)+0.02 {
				t.Errorf("%d-D mixture: mode %d holds %.3f of the samples, want %.3f", dim, k, f, w)
			}
		}
	}
}

// The score of the ε-model is −ε/√(1−ᾱ_t); with the optimal ε of Gaussian
// data it is exactly the score of q(x_t) = N(√ᾱ_t m, ᾱ_t v + 1 − ᾱ_t).
func TestEpsScoreIsScoreOfMarginal(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	const m, v = 0.5, 0.25
	net := GaussianDataEps(s, m, v)
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 8)
	for i := range x {
		x[i] = 3 * rng.NormFloat64()
	}
	for _, step := range []int32{0, 100, 999} {
		got := flat64(run1(t, func(x, tt *Node) *Node {
			bt := BroadcastToShape(tt, shapes.Make(dtypes.Int32, 8))
			return EpsScore(s, net(nil, Reshape(x, 8, 1), bt), bt)
		}, tensors.FromValue(x), tensors.FromValue(step)))
		ab := s.AlphasBar[step]
		marg := &GaussianMixture{Weights: []float64{1}, Means: [][]float64{{math.Sqrt(ab) * m}}, Variances: []float64{ab*v + 1 - ab}}
		want := flat64(run1(t, func(x *Node) *Node { return marg.Score(Reshape(x, 8, 1)) }, tensors.FromValue(x)))
		for i := range x {
			if math.Abs(got[i]-want[i]) > 1e-10*(1+math.Abs(want[i])) {
				t.Errorf("t=%d x=%g: ε-score %.12g, marginal score %.12g", step, x[i], got[i], want[i])
			}
		}
	}
}
