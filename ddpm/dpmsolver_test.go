package ddpm

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// refX0 is the data prediction x̂_0 = (x − √(1−ᾱ_t) ε)/√ᾱ_t (Eq. 4
// inverted) of the optimal ε of data N(m, v).
func refX0(s *Schedule, m, v float64, t int, x float64) float64 {
	ab := s.AlphasBar[t]
	return (x - math.Sqrt(1-ab)*refEps(s, m, v, t, x)) / math.Sqrt(ab)
}

// refODE is the exact probability-flow ODE map from index t to index to
// (−1: the clean data) for data N(m, v): q(x_t) = N(√ᾱ_t m, ᾱ_t v + 1 − ᾱ_t)
// and the flow of a linear ODE in one dimension is the increasing affine
// map between the two marginals.
func refODE(s *Schedule, m, v float64, t, to int, x float64) float64 {
	abT, abTo := s.AlphasBar[t], 1.0
	if to >= 0 {
		abTo = s.AlphasBar[to]
	}
	varT, varTo := abT*v+1-abT, abTo*v+1-abTo
	return math.Sqrt(abTo)*m + math.Sqrt(varTo/varT)*(x-math.Sqrt(abT)*m)
}

// refDPMSolver is DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2) written
// from the paper: α = √ᾱ, σ = √(1−ᾱ), λ = log(α/σ), h_i = λ_{t_i} − λ_{t_{i−1}},
// r_i = h_{i−1}/h_i; first order at the first step and at the step to the
// clean data (toClean), where it is x = x̂_0.
func refDPMSolver(s *Schedule, m, v float64, ts []int, toClean bool, x float64) float64 {
	lam := func(t int) float64 { return 0.5 * math.Log(s.AlphasBar[t]/(1-s.AlphasBar[t])) }
	var prevX0, hPrev float64
	for i, t := range ts {
		x0 := refX0(s, m, v, t, x)
		if i == len(ts)-1 {
			if toClean {
				x = x0
			}
			break
		}
		n := ts[i+1]
		h := lam(n) - lam(t)
		d := x0
		if i > 0 {
			r := hPrev / h
			d = (1+1/(2*r))*x0 - 1/(2*r)*prevX0
		}
		x = math.Sqrt((1-s.AlphasBar[n])/(1-s.AlphasBar[t]))*x - math.Sqrt(s.AlphasBar[n])*(math.Exp(-h)-1)*d
		prevX0, hPrev = x0, h
	}
	return x
}

// runTestChain runs the chain that build makes (on a float64 x_T of one
// dimension per example) and returns x_0.
func runTestChain(t *testing.T, build func(scope *model.Scope, shape shapes.Shape) chain, xs []float64, seed int64) []float64 {
	t.Helper()
	exec, err := model.NewExec(testBackend(t), model.NewStore(), func(scope *model.Scope, xT, rng *Node) *Node {
		x0, _ := runChain(scope, build(scope, xT.Shape()), 0, xT, rng)
		return x0
	})
	if err != nil {
		t.Fatal(err)
	}
	rng, err := RNGStateFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call(tensors.FromFlatDataAndDimensions(xs, len(xs), 1), rng)
	if err != nil {
		t.Fatal(err)
	}
	return flat64(outs[0])
}

var testXT = []float64{-2.1, -0.4, 0, 0.3, 1.3, 2.7}

// The sampler in the graph (float64) against the float64 reference, for
// several S and spacings, with the exact ε of data N(0.5, 0.25).
func TestDPMSolverMatchesFloat64Reference(t *testing.T) {
	t.Parallel()
	matchesFloat64Reference(t, DPMSolverPP2M, refDPMSolver)
}

// With S ≤ 2 every step of DPM-Solver++(2M) is first order (the first step
// has no earlier x̂_0, the last goes to σ = 0), and its first-order step is
// DDIM's with η = 0 (Lu et al. 2022, §4: DPM-Solver++1 is DDIM): the two
// samplers give the same samples; with S = 3 the middle step differs.
func TestDPMSolverFirstOrderIsDDIM(t *testing.T) {
	t.Parallel()
	s := MustNewSchedule(ScheduleConfig{})
	net := GaussianDataEps(s, 0.5, 0.25)
	xT := tensors.FromFlatDataAndDimensions(testXT, len(testXT), 1)
	sample := func(cfg SampleConfig) []float64 {
		sm, err := NewSampler(testBackend(t), model.NewStore(), s, net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		x0, _, err := sm.Sample(xT, 1)
		if err != nil {
			t.Fatal(err)
		}
		return flat64(x0)
	}
	for _, S := range []int{1, 2, 3} {
		a, b := sample(SampleConfig{Kind: DPMSolverPP2M, Steps: S}), sample(SampleConfig{Kind: DDIM, Steps: S})
		same := true
		for i := range a {
			same = same && math.Abs(a[i]-b[i]) <= 1e-12*math.Max(1, math.Abs(b[i]))
		}
		if same != (S <= 2) {
			t.Errorf("S=%d: DPM-Solver++ %v, DDIM η=0 %v (want equal: %v)", S, a, b, S <= 2)
		}
	}
}

// Convergence order. On Gaussian data the probability-flow ODE has the
// closed-form flow refODE; from x_T at index 999 to index 199 over S
// steps of 800/S indices each (S = 10 … 80), the global error of a p-th
// order solver is C hᵖ (1 + O(h)), so doubling S divides it by 2ᵖ: 4 for
// DPM-Solver++(2M), 2 for DDIM (first order, the float64 reference of
// sampler_test.go on the same grid, showing the test tells the orders
// apart). Measured ratios (this test's log): 4.00, 4.07, 4.06 and 1.97,
// 1.99, 2.00; the tolerance ±12 % covers the O(h) term at S = 10 → 20.
// The sampler's own chain ends with the step to σ = 0, x = x̂_0, whose
// error is that of a denoiser, not of the solver, so the order is taken
// on the open interval.
func TestDPMSolverSecondOrder(t *testing.T) {
	t.Parallel()
	const m, v = 0.5, 0.25
	s := MustNewSchedule(ScheduleConfig{})
	net := GaussianDataEps(s, m, v)
	grid := func(S int) []int {
		ts := make([]int, S+1)
		for j := range ts {
			ts[j] = 999 - j*800/S
		}
		return ts
	}
	maxErr := func(f func(x float64) float64) float64 {
		e := 0.0
		for _, x := range testXT {
			e = max(e, math.Abs(f(x)-refODE(s, m, v, 999, 199, x)))
		}
		return e
	}
	var dpm, ddim []float64
	for _, S := range []int{10, 20, 40, 80} {
		ts := grid(S)
		got := runTestChain(t, func(scope *model.Scope, shape shapes.Shape) chain {
			return dpmSolverChain(scope, s, net, SampleConfig{Kind: DPMSolverPP2M}, shape, ts, false)
		}, testXT, 1)
		e := 0.0
		for i, x := range testXT {
			if want := refDPMSolver(s, m, v, ts, false, x); math.Abs(got[i]-want) > 1e-10 {
				t.Errorf("S=%d: graph %.15g, reference %.15g", S, got[i], want)
			}
			e = max(e, math.Abs(got[i]-refODE(s, m, v, 999, 199, x)))
		}
		dpm = append(dpm, e)
		ddim = append(ddim, maxErr(func(x float64) float64 {
			for j := range S {
				f, _ := refDDIMStep(s, m, v, ts[j], ts[j+1], 0)
				x = f(x)
			}
			return x
		}))
	}
	checkOrder(t, "DPM-Solver++(2M)", dpm, 4)
	checkOrder(t, "DDIM η=0", ddim, 2)
}

// checkOrder checks that each error divided by the next (S doubled) is
// 2ᵖ within 12 %.
func checkOrder(t *testing.T, name string, errs []float64, want float64) {
	t.Helper()
	var ratios []float64
	for i := 1; i < len(errs); i++ {
		ratios = append(ratios, errs[i-1]/errs[i])
	}
	t.Logf("%s: errors %.3g, ratios %.3f (want %g)", name, errs, ratios, want)
	if slices.ContainsFunc(ratios, func(r float64) bool { return math.Abs(r/want-1) > 0.12 }) {
		t.Errorf("%s: error ratios %.3f when doubling S, want %g ± 12 %%", name, ratios, want)
	}
}

// The exact law of the whole sampler (x_T ~ N(0, I), final step to σ = 0)
// approaches the data N(m, v) as S grows, faster than DDIM's: its
// variance error |Var/v − 1| at S = 10, 20, 50 is 0.345, 0.085, 0.002
// against DDIM's 0.453, 0.256, 0.111 (float64 references).
func TestDPMSolverLawApproachesData(t *testing.T) {
	t.Parallel()
	const m, v = 0.5, 0.25
	s := MustNewSchedule(ScheduleConfig{})
	prevDPM := math.Inf(1)
	for _, S := range []int{10, 20, 50} {
		dpm := refLaw(s, m, v, SampleConfig{Kind: DPMSolverPP2M, Steps: S})
		ddim := refLaw(s, m, v, SampleConfig{Kind: DDIM, Steps: S})
		eD, eI := math.Abs(dpm.variance/v-1), math.Abs(ddim.variance/v-1)
		t.Logf("S=%d: DPM-Solver++ N(%.5f, %.5f), DDIM N(%.5f, %.5f)", S, dpm.mean, dpm.variance, ddim.mean, ddim.variance)
		if eD >= eI || eD >= prevDPM || math.Abs(dpm.mean-m) > 2e-3 {
			t.Errorf("S=%d: DPM-Solver++'s law N(%.5f, %.5f) is not closer to N(%g, %g) than DDIM's N(%.5f, %.5f) and than at fewer steps", S, dpm.mean, dpm.variance, m, v, ddim.mean, ddim.variance)
		}
		prevDPM = eD
	}
}
