package ddpm

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Pure-Go float64 references, written from the papers' formulas with β and ᾱ
// only (not the derived tables the package uses).

// refEps is E[ε|x_t] for data N(m, v) (see GaussianDataEps).
func refEps(s *Schedule, m, v float64, t int, x float64) float64 {
	ab := s.AlphasBar[t]
	return math.Sqrt(1-ab) * (x - math.Sqrt(ab)*m) / (ab*v + 1 - ab)
}

// refAncestralMean is Algorithm 2 line 4 without the noise: Eq. 11.
func refAncestralMean(s *Schedule, m, v float64, t int, x float64) float64 {
	b, ab := s.Betas[t], s.AlphasBar[t]
	return (x - b/math.Sqrt(1-ab)*refEps(s, m, v, t, x)) / math.Sqrt(1-b)
}

// refSigma2 is σ_t² of Algorithm 2 (σ_t² = β_t or β̃_t, with Ho et al.'s
// β̃_2 at t = 1 for β; z = 0 at t = 1 so it never matters there).
func refSigma2(s *Schedule, kind VarianceKind, t int) float64 {
	if t == 0 {
		return 0
	}
	if kind == FixedSmall {
		return (1 - s.AlphasBar[t-1]) / (1 - s.AlphasBar[t]) * s.Betas[t]
	}
	return s.Betas[t]
}

// law tracks the exact Gaussian law N(mean, variance) of a sampler's state:
// with the optimal ε of Gaussian data every step is affine in x plus noise.
type law struct{ mean, variance float64 }

func (l law) affine(f func(x float64) float64, noiseVar float64) law {
	c := f(0)
	a := f(1) - c
	return law{a*l.mean + c, a*a*l.variance + noiseVar}
}

func refDDIMStep(s *Schedule, m, v float64, t, prev int, eta float64) (func(float64) float64, float64) {
	ab, abPrev := s.AlphasBar[t], 1.0
	if prev >= 0 {
		abPrev = s.AlphasBar[prev]
	}
	sig := eta * math.Sqrt((1-abPrev)/(1-ab)*(1-ab/abPrev))
	return func(x float64) float64 {
		e := refEps(s, m, v, t, x)
		x0 := (x - math.Sqrt(1-ab)*e) / math.Sqrt(ab)
		return math.Sqrt(abPrev)*x0 + math.Sqrt(1-abPrev-sig*sig)*e
	}, sig * sig
}

// One ancestral step in the graph (float64) against the float64 reference with the same noise.
func TestAncestralStepMatchesFloat64Reference(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	const m, v = 0.5, 0.25
	net := GaussianDataEps(s, m, v)
	x := []float64{-2, -0.3, 0, 0.7, 1.9}
	z := []float64{0.5, -1, 1.5, 0.1, -0.4}
	for _, kind := range []VarianceKind{FixedLarge, FixedSmall} {
		for _, step := range []int32{0, 1, 500, 999} {
			got := flat64(run1(t, func(x, z, tt *Node) *Node {
				bt := BroadcastToShape(tt, shapes.Make(dtypes.Int32, x.Shape().Dimensions[0]))
				return AncestralStep(s, PredictEps, kind, 0, net(nil, x, bt), x, tt, z)
			}, tensors.FromValue(x), tensors.FromValue(z), tensors.FromValue(step)))
			for i := range x {
				want := refAncestralMean(s, m, v, int(step), x[i]) + math.Sqrt(refSigma2(s, kind, int(step)))*z[i]
				if math.Abs(got[i]-want) > 1e-12*(1+math.Abs(want)) {
					t.Errorf("%v t=%d x=%g: graph %.15g, reference %.15g", kind, step, x[i], got[i], want)
				}
			}
		}
	}
}

// End to end without training: with the optimal ε of x_0 ~ N(m, v), each
// sampler must reproduce N(m, v). Every step is affine-Gaussian, so the exact
// law of the sampler's output is computed in float64 (refLaw) and the
// samples are checked against it by Monte Carlo (5 standard errors); the
// exact law itself must be close to N(m, v) (the samplers' discretisation bias).
func TestSamplersReproduceGaussianData(t *testing.T) {
	t.Parallel()
	const m, v, n = 0.5, 0.25, 20000
	s := MustNewSchedule(ScheduleConfig{})
	net := GaussianDataEps(s, m, v)
	backend := testBackend(t)
	for _, c := range []struct {
		name       string
		cfg        SampleConfig
		biasMean   float64 // allowed |E[x] − m| of the exact law
		biasVarRel float64 // allowed |Var[x]/v − 1| of the exact law
	}{
		{"ancestral β", SampleConfig{Kind: Ancestral, Variance: FixedLarge}, 1e-3, 0.02},
		{"ancestral β̃", SampleConfig{Kind: Ancestral, Variance: FixedSmall}, 1e-3, 0.02},
		// Respaced (Nichol & Dhariwal §4): Algorithm 2 on the schedule of 50
		// of the T indices, so the exact law is that of a 50-step DDPM.
		{"ancestral β' respaced S=50", SampleConfig{Kind: Ancestral, Steps: 50}, 2e-3, 0.05},
		// With the small variances β̃' the exact law's variance is 12 % short
		// (0.219): only the agreement with the float64 reference is asserted.
		{"ancestral β̃' respaced S=100 linspace", SampleConfig{Kind: Ancestral, Steps: 100, Variance: FixedSmall, Spacing: SpacingLinspace}, 2e-3, 0.15},
		{"DDIM η=0 S=T", SampleConfig{Kind: DDIM, Steps: 1000}, 2e-3, 0.01},
		// Few DDIM steps shrink the variance (Euler steps of the probability-flow
		// ODE; the exact law's variance is 0.137 at S=10, 0.222 at S=50): only
		// the agreement with the float64 reference is asserted.
		{"DDIM η=0 S=50", SampleConfig{Kind: DDIM, Steps: 50}, 2e-3, 0.12},
		{"DDIM η=1 S=T", SampleConfig{Kind: DDIM, Steps: 1000, Eta: 1}, 1e-3, 0.02},
		{"Langevin defaults (S=100, K=10)", SampleConfig{Kind: Langevin}, 0.012, 0.06},
		{"Langevin S=100 K=20 ε=2σ_L²", SampleConfig{Kind: Langevin, Steps: 100, LangevinK: 20, LangevinEps: 2 * (1 - s.AlphasBar[9])}, 0.003, 0.025},
		// The second-order samplers at their default S = 50: the exact law's
		// variance is 0.2506 (DPM-Solver++(2M)) and 0.2457 (Heun) against
		// DDIM's 0.222 above (the float64 references of dpmsolver_test.go
		// and heun_test.go); the mean is short by √ᾱ_{t_0} m (x_T ~ N(0, I)).
		{"DPM-Solver++(2M) S=50", SampleConfig{Kind: DPMSolverPP2M}, 2e-3, 0.01},
		{"Heun S=50", SampleConfig{Kind: Heun}, 2e-3, 0.025},
		// Algorithm 2 with churn at every step (γ = √2−1): 0.2513, mean 0.50000.
		{"Heun S=50 S_churn=40", SampleConfig{Kind: Heun, SChurn: 40}, 1e-3, 0.01},
	} {
		sm, err := NewSampler(backend, model.NewStore(), s, net, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.SampleNoise(backend, []int{n, 1}, 11)
		if err != nil {
			t.Fatal(err)
		}
		exact := refLaw(s, m, v, sm.Config)
		gm, gv := moments(flat32(x0))
		if math.Abs(gm-exact.mean) > mcTol(5, exact.variance, n) || math.Abs(gv-exact.variance) > varTol(5, exact.variance, n) {
			t.Errorf("%s: samples mean %.4f var %.4f; exact law of the sampler %.4f, %.4f", c.name, gm, gv, exact.mean, exact.variance)
		}
		if math.Abs(exact.mean-m) > c.biasMean || math.Abs(exact.variance/v-1) > c.biasVarRel {
			t.Errorf("%s: exact law N(%.5f, %.5f) is too far from the data N(%g, %g)", c.name, exact.mean, exact.variance, m, v)
		}
		t.Logf("%s: samples N(%.4f, %.4f), exact law N(%.5f, %.5f), data N(%g, %g)", c.name, gm, gv, exact.mean, exact.variance, m, v)
	}
}

// refLaw propagates N(0, 1) through the float64 reference of the sampler cfg.
func refLaw(s *Schedule, m, v float64, cfg SampleConfig) law {
	l := law{0, 1}
	ts := cfg.Timesteps(s.T)
	if cfg.Kind == Ancestral && cfg.Steps > 0 && cfg.Steps < s.T {
		// The sampler runs the respaced schedule; the Gaussian data's exact ε
		// at respaced index t' is the original's at ts[t'] (same ᾱ).
		slices.Reverse(ts)
		r, err := Respace(s, ts)
		if err != nil {
			panic(err)
		}
		cfg.Steps = 0
		return refLaw(r, m, v, cfg)
	}
	switch cfg.Kind {
	case Ancestral:
		for _, t := range ts {
			l = l.affine(func(x float64) float64 { return refAncestralMean(s, m, v, t, x) }, refSigma2(s, cfg.Variance, t))
		}
	case DDIM:
		for j, t := range ts {
			prev := -1
			if j+1 < len(ts) {
				prev = ts[j+1]
			}
			f, nv := refDDIMStep(s, m, v, t, prev, cfg.Eta)
			l = l.affine(f, nv)
		}
	case DPMSolverPP2M:
		f := func(x float64) float64 { return refDPMSolver(s, m, v, ts, true, x) }
		c := f(0)
		l = law{c, (f(1) - c) * (f(1) - c)} // affine in x_T ~ N(0, 1)
	case Heun:
		l = refHeunLaw(s, m, v, cfg, ts, true)
	case Langevin:
		last := 1 - s.AlphasBar[ts[len(ts)-1]]
		for _, t := range ts {
			sig2 := 1 - s.AlphasBar[t]
			a := cfg.LangevinEps * sig2 / last // Song & Ermon's α_i = ε σ_i²/σ_L²
			for range cfg.LangevinK {
				l = l.affine(func(x float64) float64 {
					return x + a/2*(-refEps(s, m, v, t, x)/math.Sqrt(sig2))
				}, a)
			}
		}
		t := ts[len(ts)-1]
		ab := s.AlphasBar[t]
		l = l.affine(func(x float64) float64 { return (x - math.Sqrt(1-ab)*refEps(s, m, v, t, x)) / math.Sqrt(ab) }, 0)
	}
	return l
}

// DDIM with η = 1 and S = T is DDPM's ancestral sampler with σ_t² = β̃_t
// (Song et al. 2021, §4.1): the exact laws of the two references coincide.
func TestDDIMEtaOneIsAncestralFixedSmall(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	a := refLaw(s, 0.5, 0.25, SampleConfig{Kind: DDIM, Steps: 1000, Eta: 1})
	b := refLaw(s, 0.5, 0.25, SampleConfig{Kind: Ancestral, Variance: FixedSmall})
	if math.Abs(a.mean-b.mean) > 1e-9 || math.Abs(a.variance-b.variance) > 1e-9 {
		t.Errorf("DDIM η=1 law %+v, ancestral β̃ law %+v", a, b)
	}
}

func TestSamplerSnapshotsAndErrors(t *testing.T) {
	t.Parallel()
	backend := testBackend(t)
	s := MustNewSchedule(ScheduleConfig{T: 10})
	net := GaussianDataEps(s, 0, 1)
	sm, err := NewSampler(backend, model.NewStore(), s, net, SampleConfig{SnapshotEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	xT, _ := StandardNormal(backend, []int{3, 2}, 5)
	x0, snaps, err := sm.Sample(xT, 6)
	if err != nil {
		t.Fatal(err)
	}
	// 10 steps, every 4: x_T, after 4, after 8, after 10 → 4 snapshots.
	if got := snaps.Shape().Dimensions; len(got) != 3 || got[0] != 4 || got[1] != 3 || got[2] != 2 {
		t.Fatalf("snapshots shape %v, want [4 3 2]", got)
	}
	sn := flat32(snaps)
	first, last := sn[:6], sn[18:]
	for i, w := range flat32(xT) {
		if first[i] != w {
			t.Errorf("snapshot 0 differs from x_T at %d", i)
		}
	}
	for i, w := range flat32(x0) {
		if last[i] != w {
			t.Errorf("last snapshot differs from x_0 at %d", i)
		}
	}
	for _, c := range []struct {
		cfg  SampleConfig
		want string
	}{
		{SampleConfig{Kind: "euler"}, "Kind = euler is not a sampler"},
		{SampleConfig{Kind: DDIM, Steps: 11}, "Steps = 11 must lie in [1, T = 10]"},
		{SampleConfig{Kind: DDIM, Eta: 2}, "Eta = 2 must lie in [0, 1]"},
		{SampleConfig{Kind: Langevin, Prediction: PredictV}, "needs an ε-prediction network"},
		{SampleConfig{SnapshotEvery: -1}, "must be ≥ 0"},
		{SampleConfig{Kind: DDIM, Eta: math.NaN()}, "Eta = NaN must lie in [0, 1]"},     // NaN passed η < 0 || η > 1
		{SampleConfig{ClipX0: math.NaN()}, "ClipX0 = NaN must be a finite number"},      // and gave NaN samples
		{SampleConfig{Kind: Langevin, Steps: -5}, "Steps = -5 must lie in [1, T = 10]"}, // not "LangevinEps > 0, got 0"
	} {
		if _, err := NewSampler(backend, model.NewStore(), s, net, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSampler(%+v): error %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestTimestepsTrailing(t *testing.T) {
	t.Parallel()
	got := SampleConfig{Kind: DDIM, Steps: 4}.Timesteps(1000)
	want := []int{999, 749, 499, 249}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Timesteps = %v, want %v", got, want)
		}
	}
}

// SampleConfig.Validate names the field of each bad configuration, and
// accepts the zero value and every sampler's own settings.
func TestSampleConfigValidate(t *testing.T) {
	const T = 1000
	for _, ok := range []SampleConfig{{}, {Kind: DDIM, Steps: 50, Eta: 1, ClipX0: 1, Spacing: SpacingLeading, FinalAlphaBarFirst: true, RawEpsDirection: true},
		{Kind: Ancestral, Steps: 100, Variance: FixedSmall}, {Kind: Langevin, Steps: 10, LangevinK: 3, LangevinEps: 0.1}, {Kind: DDIM, Variance: Learned}} {
		if err := ok.Validate(T); err != nil {
			t.Errorf("%+v refused: %v", ok, err)
		}
	}
	for _, c := range []struct {
		cfg   SampleConfig
		field string
	}{
		{SampleConfig{Kind: "euler"}, "Kind"},
		{SampleConfig{Steps: T + 1}, "Steps"},
		{SampleConfig{Kind: DDIM, Steps: -1}, "Steps"},
		{SampleConfig{Kind: DDIM, Eta: 1.5}, "Eta"},
		{SampleConfig{Kind: DDIM, Eta: math.NaN()}, "Eta"},
		{SampleConfig{Eta: 0.5}, "Eta"},
		{SampleConfig{ClipX0: -1}, "ClipX0"},
		{SampleConfig{ClipX0: math.Inf(1)}, "ClipX0"},
		{SampleConfig{Kind: Langevin, ClipX0: 1}, "ClipX0"},
		{SampleConfig{Kind: DDIM, Variance: FixedSmall}, "Variance"},
		{SampleConfig{Variance: 7}, "Variance"},
		{SampleConfig{Kind: DDIM, Spacing: "uniform"}, "Spacing"},
		{SampleConfig{Kind: Langevin, Spacing: SpacingLeading}, "Spacing"},
		{SampleConfig{FinalAlphaBarFirst: true}, "FinalAlphaBarFirst"},
		{SampleConfig{Kind: Langevin, RawEpsDirection: true}, "RawEpsDirection"},
		{SampleConfig{LangevinK: 3}, "LangevinK"},
		{SampleConfig{Kind: Langevin, LangevinEps: -1}, "LangevinEps"},
		{SampleConfig{Kind: Langevin, Prediction: PredictV}, "Prediction"},
		{SampleConfig{SnapshotEvery: -2}, "SnapshotEvery"},
	} {
		err := c.cfg.Validate(T)
		fe := field.As(err)
		if fe == nil || fe.Field != c.field || fe.Owner != "SampleConfig" {
			t.Errorf("%+v: got %v, want a SampleConfig.%s field error", c.cfg, err, c.field)
		}
	}
}

// A sampler over a store that lacks the network's weights refuses with a
// line naming the fix, instead of GoMLX's "While body function must have N
// inputs" (the trap of issue 20: a net whose variables the Trainer made
// under NetScope, sampled from an empty store).
func TestSamplerRefusesToCreateVariables(t *testing.T) {
	s := MustNewSchedule(ScheduleConfig{T: 10})
	sm, err := NewSampler(testBackend(t), model.NewStore(), s, linearEpsNet(s.T), SampleConfig{Kind: DDIM, Steps: 5})
	if err == nil {
		_, _, err = sm.SampleNoise(testBackend(t), []int{4, 2}, 1)
	}
	if err == nil || !strings.Contains(err.Error(), "created 2 new variable(s)") || !strings.Contains(err.Error(), "EMAStore") {
		t.Errorf("sampling an empty store: %v, want the refusal naming the store to sample", err)
	}
}
