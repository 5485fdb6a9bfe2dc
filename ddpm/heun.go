package ddpm

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// EDM's Heun sampler: Karras, Aittala, Aila & Laine (2022), "Elucidating
// the Design Space of Diffusion-Based Generative Models", Algorithm 1
// (deterministic, second order) and Algorithm 2 (stochastic, S_churn > 0),
// applied to our discrete-time network.
//
// Their ODE is dx̃/dσ = (x̃ − D(x̃; σ))/σ in the variable x̃ = x/√ᾱ with
// noise level σ(t) = √((1−ᾱ_t)/ᾱ_t) (x_t = √ᾱ_t (x_0 + σ ε): x̃ = x_0 + σ ε),
// and the denoiser D(x̃; σ_t) = x̂_0, [PredToX0Eps]'s x̂_0 of the network at
// x_t = x̃/√(1+σ²) and index t (clipped to ±ClipX0 when ClipX0 > 0, as
// diffusers' clip_sample does). The grid is σ_i = σ(t_i) at the S indices
// t_0 > … > t_{S−1} of SampleConfig.Timesteps (our spacings) and σ_S = 0:
// diffusers' HeunDiscreteScheduler (use_karras_sigmas=False) on our
// spacings, where every σ the network sees is a σ(t) of an integer index, so
// no interpolation between indices is needed. Step i = 0 … S−1:
//
//	γ_i = min(S_churn/S, √2 − 1) if σ_i ∈ [S_tmin, S_tmax], else 0
//	σ̂ = σ_i (1+γ_i), rounded to the nearest σ(t) of the T indices
//	x̂ = x̃_i + √(σ̂² − σ_i²) S_noise z,                     z ~ N(0, I)
//	d = (x̂ − D(x̂; σ̂))/σ̂
//	x̃_{i+1} = x̂ + (σ_{i+1} − σ̂) d
//	if σ_{i+1} ≠ 0: d' = (x̃_{i+1} − D(x̃_{i+1}; σ_{i+1}))/σ_{i+1},
//	                x̃_{i+1} = x̂ + (σ_{i+1} − σ̂)(d + d')/2
//
// The rounding of σ̂ is EDM's own convention for discrete-time networks
// (round_sigma of their iDDPM preconditioner, nearest in σ); diffusers'
// HeunDiscreteScheduler has no churn. The last step (σ_S = 0) is Euler's:
// x̃_S = D(x̂; σ̂). 2S − 1 network evaluations, S iterations; the chain
// carries x = √ᾱ x̃ (the snapshots are in the variable of the other samplers).

// Heun is EDM's second-order Heun sampler (Karras et al. 2022, Algorithm
// 1; Algorithm 2 with SampleConfig.SChurn > 0) over S steps.
const Heun SamplerKind = "heun"

// DefaultSNoise is SampleConfig.SNoise's default when Heun churns: S_noise
// = 1, noise of the scale the level change needs (Karras et al. 2022,
// Algorithm 2; they used 1.003 to 1.007 on ImageNet).
const DefaultSNoise = 1.0

func init() {
	registerSampler(samplerDef{
		kind:    Heun,
		summary: "EDM's Heun (Karras et al. 2022, Algorithm 1; Algorithm 2 with S_churn > 0): 2nd order, S steps, 2S−1 network calls",
		knobs: []SamplerKnob{
			{Field: "SChurn", What: "Heun's S_churn", Ptr: func(c *SampleConfig) any { return &c.SChurn }},
			{Field: "STMin", What: "Heun's S_tmin", Ptr: func(c *SampleConfig) any { return &c.STMin }},
			{Field: "STMax", What: "Heun's S_tmax", Ptr: func(c *SampleConfig) any { return &c.STMax }},
			{Field: "SNoise", What: "Heun's S_noise", Ptr: func(c *SampleConfig) any { return &c.SNoise }},
		},
		defaultSteps: func(T int) int { return min(DefaultDDIMSteps, T) },
		withDefaults: func(c SampleConfig, _ *Schedule) SampleConfig {
			if c.SChurn > 0 && c.SNoise == 0 {
				c.SNoise = DefaultSNoise
			}
			return c
		},
		validate:    validateHeun,
		iterations:  func(c SampleConfig, _ int) int { return c.Steps },
		evaluations: func(c SampleConfig, _ int) int { return 2*c.Steps - 1 },
		build: func(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) chain {
			return heunChain(scope, s, net, cfg, shape, cfg.Timesteps(s.T), true)
		},
	})
}

func validateHeun(c SampleConfig, _ int) error {
	bad := func(name string, v any, want string) error { return field.New("ddpm", "SampleConfig", name, v, want) }
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(c.SChurn) || c.SChurn < 0:
		return bad("SChurn", c.SChurn, "must be a finite number ≥ 0 (0: deterministic)")
	case !finite(c.STMin) || c.STMin < 0:
		return bad("STMin", c.STMin, "must be a finite number ≥ 0")
	case math.IsNaN(c.STMax) || c.STMax < 0:
		return bad("STMax", c.STMax, "must be a number > 0 (0: +∞)")
	case c.STMax != 0 && c.STMax <= c.STMin:
		return bad("STMax", c.STMax, "must be above STMin (S_tmin)")
	case !finite(c.SNoise) || c.SNoise < 0:
		return bad("SNoise", c.SNoise, "must be a finite number > 0 (0: the default 1)")
	}
	if c.SChurn == 0 {
		for _, k := range []struct {
			name string
			v    float64
		}{{"STMin", c.STMin}, {"STMax", c.STMax}, {"SNoise", c.SNoise}} {
			if k.v != 0 {
				return bad(k.name, k.v, "is for the stochastic Heun sampler: set SChurn > 0 too")
			}
		}
	}
	return nil
}

// edmSigma is σ(t) = √((1−ᾱ_t)/ᾱ_t) at every array index t.
func edmSigma(s *Schedule) []float64 {
	out := make([]float64, s.T)
	for t, ab := range s.AlphasBar {
		out[t] = math.Sqrt((1 - ab) / ab)
	}
	return out
}

// heunTables are the host tables of Heun's step j over the indices ts:
// the index u[j] of σ̂_j (ts[j] without churn), σ̂_j, the churn noise's
// scale S_noise √(σ̂² − σ_j²), and the next point's σ and index (σ = 0,
// index −1 past the last, when toClean).
type heunTables struct {
	u, next                         []int
	sigHat, churn, sigNext, invSqAb []float64
}

func heunCoefs(s *Schedule, cfg SampleConfig, ts []int, toClean bool) heunTables {
	sig := edmSigma(s)
	S := len(ts)
	n := S - 1
	if toClean {
		n = S
	}
	var h heunTables
	sMax := cfg.STMax
	if sMax == 0 {
		sMax = math.Inf(1)
	}
	gamma := 0.0
	if cfg.SChurn > 0 {
		gamma = min(cfg.SChurn/float64(S), math.Sqrt2-1)
	}
	for j := range n {
		t := ts[j]
		u := t
		if si := sig[t]; gamma > 0 && si >= cfg.STMin && si <= sMax {
			u = nearestIndex(sig, si*(1+gamma))
		}
		next, sn := -1, 0.0
		if j+1 < S {
			next, sn = ts[j+1], sig[ts[j+1]]
		}
		h.u, h.next = append(h.u, u), append(h.next, next)
		h.sigHat = append(h.sigHat, sig[u])
		h.churn = append(h.churn, cfg.SNoise*math.Sqrt(max(sig[u]*sig[u]-sig[t]*sig[t], 0)))
		h.sigNext = append(h.sigNext, sn)
		h.invSqAb = append(h.invSqAb, 1/math.Sqrt(s.AlphasBar[t]))
	}
	return h
}

// nearestIndex is the index of the value of the increasing table sig
// nearest to v (the lower one on a tie).
func nearestIndex(sig []float64, v float64) int {
	best := 0
	for i, x := range sig {
		if math.Abs(x-v) < math.Abs(sig[best]-v) {
			best = i
		}
	}
	return best
}

// heunChain is Heun's sampler over ts and, when toClean, the last (Euler)
// step to σ = 0, which runs after the loop with its one network call.
func heunChain(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape, ts []int, toClean bool) chain {
	h := heunCoefs(s, cfg, ts, toClean)
	sqAb := sqrtAll(s.AlphasBar)
	next := make([]int, len(h.next))
	for j, t := range h.next {
		next[j] = max(t, 0) // a valid index for the gather; unused past the last
	}
	// denoise is D(x̃; σ(t)) for a table of indices at step j: [PredToX0Eps]'s
	// x̂_0 at x = √ᾱ_t x̃.
	denoise := func(xt, j *Node, idx []int) *Node {
		t := Gather(Const(xt.Graph(), int32s(idx)), InsertAxes(j, 0))
		x := Mul(coef(sqAb, t, xt), xt)
		x0, _ := PredToX0Eps(s, cfg.Prediction, prediction(cfg, net(scope, x, batchOf(t, shape))), x, t, cfg.ClipX0)
		return x0
	}
	// churn is x̂ = x̃_j + S_noise √(σ̂² − σ_j²) z, x̃_j = x/√ᾱ_{t_j}.
	churn := func(j, x, rng *Node) (*Node, *Node) {
		xh := Mul(coef(h.invSqAb, j, x), x)
		if cfg.SChurn > 0 {
			var z *Node
			rng, z = gomlxfix.RandomNormal(rng, shape)
			xh = Add(xh, Mul(coef(h.churn, j, x), z))
		}
		return xh, rng
	}
	loops := len(h.u)
	ch := chain{loops: loops}
	if toClean {
		loops--
		ch.loops = loops
		ch.last = func(x, rng *Node, _ []*Node) *Node {
			j := Const(x.Graph(), int32(loops))
			xh, _ := churn(j, x, rng)
			return denoise(xh, j, h.u) // x̂ + (0 − σ̂)(x̂ − D)/σ̂ = D
		}
	}
	ch.step = simpleStep(func(j, x, rng *Node) (*Node, *Node) {
		xh, rng := churn(j, x, rng)
		sigHat, sigNext := coef(h.sigHat, j, x), coef(h.sigNext, j, x)
		dt := Sub(sigNext, sigHat)
		d := Div(Sub(xh, denoise(xh, j, h.u)), sigHat)
		xe := Add(xh, Mul(dt, d)) // Euler's x̃_{i+1}
		d2 := Div(Sub(xe, denoise(xe, j, next)), sigNext)
		xn := Add(xh, Mul(dt, MulScalar(Add(d, d2), 0.5)))
		tn := Gather(Const(x.Graph(), int32s(next)), InsertAxes(j, 0))
		return Mul(coef(sqAb, tn, xn), xn), rng
	})
	return ch
}
