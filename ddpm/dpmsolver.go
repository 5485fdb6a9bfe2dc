package ddpm

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// DPM-Solver++(2M): Lu, Zhou, Bao, Chen, Li & Zhu (2022), "DPM-Solver++:
// Fast Solver for Guided Sampling of Diffusion Probabilistic Models",
// Algorithm 2 (multistep second order in the data prediction x_θ).
//
// On our ᾱ schedule α_t = √ᾱ_t, σ_t = √(1−ᾱ_t) and the half log-SNR
// λ_t = log(α_t/σ_t) increases as t decreases. Over the S indices
// t_0 > … > t_{S−1} of SampleConfig.Timesteps (our spacings), followed by
// the clean end t_S (ᾱ = 1, σ = 0, λ = +∞), with h_i = λ_{t_i} − λ_{t_{i−1}}
// and r_i = h_{i−1}/h_i, step i = 1 … S is their Algorithm 2:
//
//	x_{t_i} = (σ_{t_i}/σ_{t_{i−1}}) x_{t_{i−1}} − α_{t_i} (e^{−h_i} − 1) D_i,
//	D_i = (1 + 1/(2 r_i)) x_θ(x_{t_{i−1}}, t_{i−1}) − 1/(2 r_i) x_θ(x_{t_{i−2}}, t_{i−2}),
//
// first order (D_i = x_θ(x_{t_{i−1}}, t_{i−1}), which is DDIM with η = 0)
// at the first step, which has no earlier x_θ, and at the last one, to
// σ = 0, where h = ∞ and the step is x_{t_S} = x_θ(x_{t_{S−1}}, t_{S−1}).
// That is diffusers' DPMSolverMultistepScheduler with
// algorithm_type="dpmsolver++", solver_order=2, solver_type="midpoint"
// (their D1 = (m0 − m1)/r0 with weight ½ is the same D_i) and the final
// step first order (lower_order_final, final_sigmas_type="zero"), on our
// timestep spacings instead of its own. x_θ is [PredToX0Eps]'s x̂_0 of any
// prediction, clipped to ±ClipX0 when ClipX0 > 0 (diffusers has dynamic
// thresholding there instead). S network evaluations, S iterations.

// DPMSolverPP2M is DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2):
// multistep second order in the data prediction over S steps.
const DPMSolverPP2M SamplerKind = "dpm++2m"

func init() {
	registerSampler(samplerDef{
		kind:         DPMSolverPP2M,
		summary:      "DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): multistep 2nd order in x̂_0, S steps, S network calls",
		defaultSteps: func(T int) int { return min(DefaultDDIMSteps, T) },
		iterations:   func(c SampleConfig, _ int) int { return c.Steps },
		evaluations:  func(c SampleConfig, _ int) int { return c.Steps },
		build: func(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) chain {
			return dpmSolverChain(scope, s, net, cfg, shape, cfg.Timesteps(s.T), true)
		},
	})
}

// dpmSolverCoefs are the host tables of DPM-Solver++(2M) over the array
// indices ts (noisiest first) and, when toClean, the clean end after
// them: step j goes from ts[j] to the next point with
//
//	x ← ratio[j] x + cD[j] (a[j] x̂_0 + b[j] x̂_0^prev),
//
// ratio = σ_next/σ, cD = −α_next (e^{−h} − 1), a = 1 + 1/(2r), b = −1/(2r)
// (a = 1, b = 0 at a first-order step). It has len(ts) steps with
// toClean, len(ts)−1 without.
func dpmSolverCoefs(s *Schedule, ts []int, toClean bool) (ratio, cD, a, b []float64) {
	type point struct{ alpha, sigma, lambda float64 }
	var pts []point
	for _, t := range ts {
		al, sg := math.Sqrt(s.AlphasBar[t]), math.Sqrt(1-s.AlphasBar[t])
		pts = append(pts, point{al, sg, math.Log(al / sg)})
	}
	if toClean {
		pts = append(pts, point{1, 0, math.Inf(1)})
	}
	n := len(pts) - 1
	ratio, cD, a, b = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	hPrev := 0.0
	for j := range n {
		cur, next := pts[j], pts[j+1]
		h := next.lambda - cur.lambda
		ratio[j] = next.sigma / cur.sigma
		cD[j] = -next.alpha * math.Expm1(-h) // e^{−∞} − 1 = −1 at the clean end
		a[j] = 1
		if j > 0 && !math.IsInf(h, 1) {
			r := hPrev / h
			a[j], b[j] = 1+1/(2*r), -1/(2*r)
		}
		hPrev = h
	}
	return ratio, cD, a, b
}

// dpmSolverChain is DPM-Solver++(2M) over ts and, when toClean, the last
// first-order step to σ = 0 (see dpmSolverCoefs); its own loop state is
// the previous x̂_0.
func dpmSolverChain(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape, ts []int, toClean bool) chain {
	ratio, cD, a, b := dpmSolverCoefs(s, ts, toClean)
	return chain{
		loops: len(ratio),
		init:  func(xT *Node) []*Node { return []*Node{ZerosLike(xT)} },
		step: func(j, x, rng *Node, state []*Node) (*Node, *Node, []*Node) {
			t := Gather(Const(x.Graph(), int32s(ts)), InsertAxes(j, 0))
			x0, _ := PredToX0Eps(s, cfg.Prediction, prediction(cfg, net(scope, x, batchOf(t, shape))), x, t, cfg.ClipX0)
			d := Add(Mul(coef(a, j, x), x0), Mul(coef(b, j, x), state[0]))
			return Add(Mul(coef(ratio, j, x), x), Mul(coef(cD, j, x), d)), rng, []*Node{x0}
		},
	}
}
