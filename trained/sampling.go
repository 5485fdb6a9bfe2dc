package trained

import (
	"fmt"
	"math"

	"github.com/ddpm-go/ddpm-go/ddpm"
)

// SampleConfig is the default sampler of kind (ddpm.Ancestral when "") for
// this model — the one place that decides it for the CLI, the evaluation,
// the figures and the notebooks:
//
//   - images clip x̂_0 to [−1, 1] at each step (ClipX0 = 1), the range of the
//     data, as Ho et al.'s code does; 2-D data, whose support is unbounded,
//     never clips; the Langevin sampler has no x̂_0 to clip;
//   - the number of steps is ddpm's default (ddpm.DefaultSteps);
//   - Prediction and a learned variance are the model's ([Model.Adapt]).
//
// Callers override the fields they have options for.
func (m *Model) SampleConfig(kind ddpm.SamplerKind) ddpm.SampleConfig {
	if kind == "" {
		kind = ddpm.Ancestral
	}
	sc := ddpm.SampleConfig{Kind: kind}
	if m.Config.IsImage() && kind != ddpm.Langevin {
		sc.ClipX0 = 1
	}
	sc, _ = m.Adapt(sc) // a zero Variance is never refused
	return sc
}

// Adapt is the sampler cfg as this model samples it: with the model's
// Prediction, and for a model that learned its reverse variances
// (recipe.Config.Variance is ddpm.Learned) that variance, which a fixed
// one asked for (ddpm.FixedSmall) cannot replace (an error). Every sampler
// of a model is built from it ([Model.GuidedSampler], the evaluation).
func (m *Model) Adapt(cfg ddpm.SampleConfig) (ddpm.SampleConfig, error) {
	cfg.Prediction = m.Config.Prediction
	if v := m.Config.Variance(); v == ddpm.Learned {
		if cfg.Variance == ddpm.FixedSmall {
			return cfg, fmt.Errorf("trained: %s learned its reverse variances (learn_variance): a fixed variance does not apply", m.Path)
		}
		cfg.Variance = v
	}
	return cfg, nil
}

// NLLConfig is the configuration of ddpm.NLL for this model: its
// prediction and reverse variance (learned or fixed, as trained:
// recipe.Config.Variance), with the bound's noise seed and stride (1: every
// term).
func (m *Model) NLLConfig(seed int64, stride int) ddpm.NLLConfig {
	return ddpm.NLLConfig{Prediction: m.Config.Prediction, Variance: m.Config.Variance(), Seed: seed, Stride: stride}
}

// checkFiniteSamples refuses samples holding a NaN or an infinity, naming
// how many and the weight file.
func checkFiniteSamples(x []float32, weights string) error {
	bad := 0
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			bad++
		}
	}
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("trained: %d of the %d sampled values are NaN or infinite (weights %s): nothing written or scored; the weights or the sampler settings (guidance weight, steps) are unusable", bad, len(x), weights)
}
