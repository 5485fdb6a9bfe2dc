package trained

import "github.com/ddpm-go/ddpm-go/ddpm"

// SampleConfig is the default sampler of kind (ddpm.Ancestral when "") for
// models of c — the one place that decides it for the CLI, the evaluation,
// the figures and the notebooks:
//
//   - images clip x̂_0 to [−1, 1] at each step (ClipX0 = 1), the range of the
//     data, as Ho et al.'s code does; 2-D data, whose support is unbounded,
//     never clips; the Langevin sampler has no x̂_0 to clip;
//   - the number of steps is ddpm's default (ddpm.DefaultSteps);
//   - Prediction and a learned variance are the model's.
//
// Callers override the fields they have options for.
func (c Config) SampleConfig(kind ddpm.SamplerKind) ddpm.SampleConfig {
	if kind == "" {
		kind = ddpm.Ancestral
	}
	sc := ddpm.SampleConfig{Kind: kind, Prediction: c.Prediction}
	if c.IsImage() && kind != ddpm.Langevin {
		sc.ClipX0 = 1
	}
	if c.LearnVariance {
		sc.Variance = ddpm.Learned
	}
	return sc
}
