package ddpm

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// DDIMSigma is σ of DDIM's Eq. 16 for η, between array indices t and prev
// (prev < 0 means ᾱ_prev = 1, the clean data):
//
//	σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev).
func (s *Schedule) DDIMSigma(t, prev int, eta float64) float64 {
	abPrev := 1.0
	if prev >= 0 {
		abPrev = s.AlphasBar[prev]
	}
	return ddimSigma(s.AlphasBar[t], abPrev, eta)
}

// ddimSigma is [Schedule.DDIMSigma] from ᾱ_t and ᾱ_prev.
func ddimSigma(ab, abPrev, eta float64) float64 {
	return eta * math.Sqrt((1-abPrev)/(1-ab)*(1-ab/abPrev))
}

func init() {
	registerSampler(samplerDef{
		kind:    DDIM,
		summary: "Song, Meng & Ermon (2021) Eq. 12 on S steps; η = 0 deterministic, η = 1 DDPM-like",
		knobs: []SamplerKnob{
			{Field: "Eta", What: "DDIM's η", Ptr: func(c *SampleConfig) any { return &c.Eta }},
			{Field: "FinalAlphaBarFirst", What: "a DDIM convention", Ptr: func(c *SampleConfig) any { return &c.FinalAlphaBarFirst }},
			{Field: "RawEpsDirection", What: "a DDIM convention", Ptr: func(c *SampleConfig) any { return &c.RawEpsDirection }},
		},
		defaultSteps: func(T int) int { return min(DefaultDDIMSteps, T) },
		validate: func(c SampleConfig, _ int) error {
			if !(c.Eta >= 0 && c.Eta <= 1) { // NaN too
				return field.New("ddpm", "SampleConfig", "Eta", c.Eta, "must lie in [0, 1]")
			}
			return nil
		},
		iterations:  func(c SampleConfig, _ int) int { return c.Steps },
		evaluations: func(c SampleConfig, _ int) int { return c.Steps },
		build: func(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) chain {
			return chain{loops: cfg.Steps, step: simpleStep(ddimLoop(scope, s, net, cfg, shape))}
		},
	})
}

// ddimLoop is iteration j of the DDIM sampler (Song, Meng & Ermon 2021,
// Eq. 12) over the S steps ts = cfg.Timesteps(T), from the noisiest:
//
//	x_prev = √ᾱ_prev x̂_0 + √(1−ᾱ_prev−σ_j²) ε̂ + σ_j z,   σ_j = DDIMSigma(ts[j], ts[j+1], η)
//
// with ᾱ_prev of the step after the last one from cfg.FinalAlphaBarFirst
// and x̂_0, ε̂ from [PredToX0Eps] (x̂_0 clipped to ±cfg.ClipX0).
func ddimLoop(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, shape shapes.Shape) func(j, x, rng *Node) (*Node, *Node) {
	ts := cfg.Timesteps(s.T)
	S := len(ts)
	abPrev, sig, dirCoef := make([]float64, S), make([]float64, S), make([]float64, S)
	for j, t := range ts {
		prev := -1
		if j+1 < S {
			prev = ts[j+1]
		}
		abPrev[j] = 1
		if prev >= 0 {
			abPrev[j] = s.AlphasBar[prev]
		} else if cfg.FinalAlphaBarFirst {
			abPrev[j] = s.AlphasBar[0]
		}
		sig[j] = ddimSigma(s.AlphasBar[t], abPrev[j], cfg.Eta)
		dirCoef[j] = math.Sqrt(math.Max(1-abPrev[j]-sig[j]*sig[j], 0))
		abPrev[j] = math.Sqrt(abPrev[j])
	}
	return func(j, x, rng *Node) (*Node, *Node) {
		t := Gather(Const(x.Graph(), int32s(ts)), InsertAxes(j, 0))
		out := prediction(cfg, net(scope, x, batchOf(t, shape)))
		x0, eps := PredToX0Eps(s, cfg.Prediction, out, x, t, cfg.ClipX0)
		if cfg.RawEpsDirection && cfg.ClipX0 > 0 {
			_, eps = PredToX0Eps(s, cfg.Prediction, out, x, t, 0)
		}
		// DDIM Eq. 12: x_prev = √ᾱ_prev x̂_0 + √(1−ᾱ_prev−σ²) ε̂ + σ z.
		xNew := Add(Mul(coef(abPrev, j, x), x0), Mul(coef(dirCoef, j, x), eps))
		if cfg.Eta > 0 {
			var z *Node
			rng, z = gomlxfix.RandomNormal(rng, shape)
			xNew = Add(xNew, Mul(coef(sig, j, x), z))
		}
		return xNew, rng
	}
}
