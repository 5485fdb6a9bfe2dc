package ddpm

import (
	"slices"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

func init() {
	registerSampler(samplerDef{
		kind:    Ancestral,
		summary: "Ho et al. (2020) Algorithm 2: T steps, or -steps S on the respaced schedule",
		knobs: []SamplerKnob{{
			Field: "Variance", What: "the ancestral sampler's σ_t² = β̃_t",
			Ptr: func(c *SampleConfig) any { return &c.Variance },
			set: func(c SampleConfig) bool { return c.Variance == FixedSmall },
		}},
		defaultSteps: func(int) int { return 0 },
		timesteps: func(c SampleConfig, T int) []int {
			if c.Steps <= 0 || c.Steps >= T {
				return allTimesteps(T)
			}
			return spacedTimesteps(c.Steps, c.Spacing, T)
		},
		iterations:  func(c SampleConfig, T int) int { return len(c.Timesteps(T)) },
		evaluations: func(c SampleConfig, T int) int { return len(c.Timesteps(T)) },
		build: func(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) chain {
			if cfg.Steps > 0 && cfg.Steps < s.T {
				// Algorithm 2 on the respaced schedule (Nichol & Dhariwal 2021 §4):
				// the loop runs over respaced indices S−1 … 0, the net sees ts[t'].
				ts := cfg.Timesteps(s.T)
				slices.Reverse(ts)
				r, err := Respace(s, ts)
				if err != nil {
					panic(err) // cannot happen: Timesteps are strictly monotone in [0, T)
				}
				s, net = r, RespacedNet(net, ts)
			}
			return chain{loops: s.T, step: simpleStep(ancestralLoop(scope, s, net, cfg, shape))}
		},
	})
}

// ancestralLoop is iteration j of Ho et al. (2020) Algorithm 2 over s's T
// steps, array index t = T−1−j: x_{t−1} = μ_θ(x_t, t) + σ_t z. A respaced
// chain (SampleConfig.Steps < T) runs it on the schedule [Respace] made,
// which [SampleGraph] passes as s.
func ancestralLoop(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) func(j, x, rng *Node) (*Node, *Node) {
	sigma := ancestralSigma(s, cfg.Variance)
	return func(j, x, rng *Node) (*Node, *Node) {
		t := Sub(Const(x.Graph(), int32(s.T-1)), j)
		out := net(scope, x, batchOf(t, shape))
		rng, z := gomlxfix.RandomNormal(rng, shape)
		if cfg.Variance == Learned {
			return learnedAncestralStep(s, cfg.Prediction, cfg.ClipX0, out, x, batchOf(t, shape), z), rng
		}
		return ancestralStep(s, cfg.Prediction, sigma, cfg.ClipX0, out, x, t, z), rng
	}
}

// AncestralStep is one step of Ho et al. (2020) Algorithm 2, line 4:
//
//	x_{t−1} = μ_θ(x_t, t) + σ_t z,   z ~ N(0, I) if t > 1, else z = 0,
//
// with μ_θ from [ReverseMean] (for ε-prediction without clipping, Eq. 11:
// 1/√α_t (x_t − β_t/√(1−ᾱ_t) ε_θ)) and σ_t² of kind. out is the network
// output at (x_t, t); x, z: [B, …]; t: scalar int32 array index.
func AncestralStep(s *Schedule, pred Prediction, kind VarianceKind, clip float64, out, x, t, z *Node) *Node {
	return ancestralStep(s, pred, ancestralSigma(s, kind), clip, out, x, t, z)
}

func ancestralStep(s *Schedule, pred Prediction, sigma []float64, clip float64, out, x, t, z *Node) *Node {
	mean, _ := ReverseMean(s, pred, out, x, t, clip)
	return Add(mean, Mul(coef(sigma, t, x), z))
}

// learnedAncestralStep is Algorithm 2's step with Σ_θ learned (Nichol &
// Dhariwal Eq. 15): x_{t−1} = μ_θ + exp(½ log Σ_θ) z, no noise at index 0.
// out [B, …, 2C], t [B].
func learnedAncestralStep(s *Schedule, pred Prediction, clip float64, out, x, t, z *Node) *Node {
	p, v := SplitLearned(out)
	mean, _ := ReverseMean(s, pred, p, x, t, clip)
	sigma := Exp(MulScalar(LearnedLogVariance(s, v, t), 0.5))
	return Add(mean, Mul(Mul(sigma, coef(noiseMask(s.T), t, x)), z))
}

// noiseMask is 0 at index 0 and 1 elsewhere: Algorithm 2 adds no noise at t = 1.
func noiseMask(T int) []float64 {
	m := make([]float64, T)
	for i := 1; i < T; i++ {
		m[i] = 1
	}
	return m
}

// ancestralSigma is σ_t with σ = 0 at index 0 (Algorithm 2: no noise at t = 1);
// nil for Learned, whose σ the network gives.
func ancestralSigma(s *Schedule, kind VarianceKind) []float64 {
	if kind == Learned {
		return nil
	}
	sigma := sqrtAll(s.ReverseVariance(kind))
	sigma[0] = 0
	return sigma
}
