package ddpm

import (
	"math"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model"
)

// refSigma is EDM's σ(t) = √((1−ᾱ_t)/ᾱ_t).
func refSigma(s *Schedule, t int) float64 { return math.Sqrt((1 - s.AlphasBar[t]) / s.AlphasBar[t]) }

// refHeunSteps are the steps of Karras et al. (2022) Algorithm 2 written
// from the paper, for data N(m, v) with the exact ε: step j adds noise of
// variance noise[j] to x̃ = x/√ᾱ (the churn, S_noise²(σ̂² − σ_j²)) and then
// applies the affine map f[j] (Heun's update, Euler's at the step to
// σ = 0); σ̂ is σ_j(1+γ) rounded to the nearest σ(t) of the T indices,
// found here by a search of its own. The chain's output is √ᾱ x̃ at the
// last point (x̃ itself at σ = 0).
func refHeunSteps(s *Schedule, m, v float64, cfg SampleConfig, ts []int, toClean bool) (f []func(float64) float64, noise []float64) {
	D := func(xt float64, t int) float64 { return refX0(s, m, v, t, xt*math.Sqrt(s.AlphasBar[t])) }
	S := len(ts)
	gamma := 0.0
	if cfg.SChurn > 0 {
		gamma = math.Min(cfg.SChurn/float64(S), math.Sqrt(2)-1)
	}
	sMax, sNoise := cfg.STMax, cfg.SNoise
	if sMax == 0 {
		sMax = math.Inf(1)
	}
	if sNoise == 0 {
		sNoise = 1
	}
	n := S - 1
	if toClean {
		n = S
	}
	for j := range n {
		t, u := ts[j], ts[j]
		si := refSigma(s, t)
		if gamma > 0 && si >= cfg.STMin && si <= sMax {
			target := si * (1 + gamma)
			for k := range s.T {
				if math.Abs(refSigma(s, k)-target) < math.Abs(refSigma(s, u)-target) {
					u = k
				}
			}
		}
		sh := refSigma(s, u)
		noise = append(noise, sNoise*sNoise*(sh*sh-si*si))
		f = append(f, func(xh float64) float64 {
			d := (xh - D(xh, u)) / sh
			if j+1 == S {
				return xh - sh*d // Euler to σ = 0
			}
			tn := ts[j+1]
			sn := refSigma(s, tn)
			xe := xh + (sn-sh)*d
			d2 := (xe - D(xe, tn)) / sn
			return xh + (sn-sh)*(d+d2)/2
		})
	}
	return f, noise
}

// refHeun is the deterministic chain (no churn) from x_T.
func refHeun(s *Schedule, m, v float64, ts []int, toClean bool, x float64) float64 {
	f, _ := refHeunSteps(s, m, v, SampleConfig{}, ts, toClean)
	x /= math.Sqrt(s.AlphasBar[ts[0]])
	for _, fj := range f {
		x = fj(x)
	}
	if !toClean {
		x *= math.Sqrt(s.AlphasBar[ts[len(ts)-1]])
	}
	return x
}

// refHeunLaw is the exact law of the whole chain from x_T ~ N(0, 1): every
// step is affine plus Gaussian noise.
func refHeunLaw(s *Schedule, m, v float64, cfg SampleConfig, ts []int, toClean bool) law {
	f, noise := refHeunSteps(s, m, v, cfg, ts, toClean)
	c := 1 / math.Sqrt(s.AlphasBar[ts[0]])
	l := law{0, c * c}
	for j, fj := range f {
		l = law{l.mean, l.variance + noise[j]}.affine(fj, 0)
	}
	return l
}

func TestHeunMatchesFloat64Reference(t *testing.T) {
	t.Parallel()
	matchesFloat64Reference(t, Heun, refHeun)
}

// Convergence order of Algorithm 1 (second order, Karras et al. §3), as
// TestDPMSolverSecondOrder: from index 999 to 199 in S = 10 … 80 steps
// against the exact flow of the probability-flow ODE. Measured ratios
// (float64 reference): 4.35, 4.17, 4.08 → 4; the tolerance ±12 % covers
// the O(h) term at S = 10 → 20.
func TestHeunSecondOrder(t *testing.T) {
	t.Parallel()
	const m, v = 0.5, 0.25
	s := MustNewSchedule(ScheduleConfig{})
	net := GaussianDataEps(s, m, v)
	var errs []float64
	for _, S := range []int{10, 20, 40, 80} {
		ts := make([]int, S+1)
		for j := range ts {
			ts[j] = 999 - j*800/S
		}
		got := runTestChain(t, func(scope *model.Scope, shape shapes.Shape) chain {
			return heunChain(scope, s, net, SampleConfig{Kind: Heun}, shape, ts, false)
		}, testXT, 1)
		e := 0.0
		for i, x := range testXT {
			if want := refHeun(s, m, v, ts, false, x); math.Abs(got[i]-want) > 1e-10 {
				t.Errorf("S=%d: graph %.15g, reference %.15g", S, got[i], want)
			}
			e = max(e, math.Abs(got[i]-refODE(s, m, v, 999, 199, x)))
		}
		errs = append(errs, e)
	}
	checkOrder(t, "Heun", errs, 4)
}

// The stochastic sampler (Algorithm 2): its samples follow the exact law of
// the float64 reference (5 standard errors of 20,000 draws), for churn at
// every step (γ = √2−1) and in a window [S_tmin, S_tmax] with S_noise = 1.5
// (exaggerated so that the window's churn moves the law well beyond the
// Monte-Carlo error; EDM used 1.003–1.007); and the
// churn's σ̂ is rounded to the nearest σ(t): the host tables against a
// direct search.
func TestHeunStochastic(t *testing.T) {
	t.Parallel()
	const m, v, n = 0.5, 0.25, 20000
	s := MustNewSchedule(ScheduleConfig{})
	net := GaussianDataEps(s, m, v)
	backend := testBackend(t)
	for _, cfg := range []SampleConfig{
		// Exact laws (float64 reference): N(0.49991, 0.16120) and
		// N(0.49964, 0.46631) against the deterministic N(0.49862, 0.18945).
		{Kind: Heun, Steps: 10, SChurn: 40},
		{Kind: Heun, Steps: 10, SChurn: 3, STMin: 0.5, STMax: 20, SNoise: 1.5},
	} {
		sm, err := NewSampler(backend, model.NewStore(), s, net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.SampleNoise(backend, []int{n, 1}, 3)
		if err != nil {
			t.Fatal(err)
		}
		exact := refHeunLaw(s, m, v, sm.Config, sm.Config.Timesteps(s.T), true)
		det := refHeunLaw(s, m, v, SampleConfig{Kind: Heun, Steps: 10}, sm.Config.Timesteps(s.T), true)
		gm, gv := moments(flat32(x0))
		t.Logf("%+v: samples N(%.4f, %.4f), exact law N(%.5f, %.5f), deterministic N(%.5f, %.5f)", cfg, gm, gv, exact.mean, exact.variance, det.mean, det.variance)
		if math.Abs(gm-exact.mean) > mcTol(5, exact.variance, n) || math.Abs(gv-exact.variance) > varTol(5, exact.variance, n) {
			t.Errorf("%+v: samples N(%.4f, %.4f), exact law N(%.5f, %.5f)", cfg, gm, gv, exact.mean, exact.variance)
		}
		// The churn changes the law (else the test could not tell it was applied).
		if math.Abs(exact.variance-det.variance) < 5*varTol(1, det.variance, n) {
			t.Errorf("%+v: churned law N(%.5f, %.5f) too close to the deterministic one N(%.5f, %.5f) to test", cfg, exact.mean, exact.variance, det.mean, det.variance)
		}
	}
	// γ = min(40/20, √2−1): σ̂ = σ_j (1+γ) rounded to the grid.
	cfg := SampleConfig{Kind: Heun, Steps: 20, SChurn: 40, SNoise: 1}
	ts := cfg.Timesteps(s.T)
	h := heunCoefs(s, cfg, ts, true)
	sig := edmSigma(s)
	for j, t0 := range ts {
		target := refSigma(s, t0) * math.Sqrt(2)
		for k := range s.T {
			if math.Abs(sig[k]-target) < math.Abs(sig[h.u[j]]-target)-1e-12 {
				t.Errorf("step %d: σ̂ rounded to index %d (σ %.6g), but index %d (σ %.6g) is nearer %.6g", j, h.u[j], sig[h.u[j]], k, sig[k], target)
			}
		}
		if h.u[j] < t0 {
			t.Errorf("step %d: σ̂ below σ_j", j)
		}
	}
}

// Heun's knobs are checked with Heun and refused elsewhere.
func TestHeunKnobs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg   SampleConfig
		field string
		want  string
	}{
		{SampleConfig{Kind: Heun, SChurn: -1}, "SChurn", "≥ 0"},
		{SampleConfig{Kind: Heun, SChurn: math.NaN()}, "SChurn", "finite"},
		{SampleConfig{Kind: Heun, SChurn: 1, STMin: 5, STMax: 2}, "STMax", "above STMin"},
		{SampleConfig{Kind: Heun, SChurn: 1, SNoise: -1}, "SNoise", "> 0"},
		{SampleConfig{Kind: Heun, STMin: 0.1}, "STMin", "set SChurn > 0"},
		{SampleConfig{Kind: Heun, SNoise: 1.003}, "SNoise", "set SChurn > 0"},
		{SampleConfig{Kind: DDIM, SChurn: 10}, "SChurn", "is Heun's S_churn, not for the ddim sampler"},
		{SampleConfig{Kind: DPMSolverPP2M, STMax: 10}, "STMax", "not for the dpm++2m sampler"},
		{SampleConfig{Kind: Heun, Eta: 0.5}, "Eta", "is DDIM's η, not for the heun sampler"},
		{SampleConfig{Kind: Heun, Variance: FixedSmall}, "Variance", "not for the heun sampler"},
	} {
		err := c.cfg.Validate(1000)
		if fe := field.As(err); fe == nil || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want a %s error saying %q", c.cfg, err, c.field, c.want)
		}
	}
	for _, ok := range []SampleConfig{{Kind: Heun}, {Kind: Heun, SChurn: 40, STMin: 0.05, STMax: 50, SNoise: 1.003}, {Kind: Heun, ClipX0: 1, Spacing: SpacingLinspace, Variance: Learned}} {
		if err := ok.Validate(1000); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
}
