package main

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
)

// samplerFlags registers the sampler flags of sample and eval, each the
// field of ddpm.SampleConfig it sets; the returned function builds the
// sampler of a loaded model: the model's default for -sampler
// (experiment.Config.SampleConfig), with each flag given in place of its
// field, checked by ddpm.SampleConfig.Validate.
func samplerFlags(f *flags) func(m *experiment.Model) (ddpm.SampleConfig, error) {
	v := ddpm.SampleConfig{Kind: ddpm.Ancestral, Spacing: ddpm.SpacingTrailing}
	f.Bind(&v.Kind, "sampler", "SampleConfig.Kind", "sampler: ancestral (Algorithm 2), ddim or langevin (eval: ancestral or ddim)", false)
	f.Bind(&v.Steps, "steps", "SampleConfig.Steps", fmt.Sprintf("DDIM steps S (default %d) / Langevin levels (default %d); ancestral: respace the schedule to S steps (default T)", ddpm.DefaultDDIMSteps, ddpm.DefaultLangevinLevels), true)
	f.Bind(&v.Eta, "eta", "SampleConfig.Eta", "DDIM η in [0, 1]", false)
	f.TextVar(&v.Variance, "variance", v.Variance, "ancestral σ_t²: large (β_t) or small (β̃_t)")
	f.Field("variance", "SampleConfig.Variance")
	f.Bind(&v.ClipX0, "clip", "SampleConfig.ClipX0", "clip x̂_0 to [−clip, clip] (default 1 for images, off for 2-D; 0: off)", false)
	f.Bind(&v.Spacing, "spacing", "SampleConfig.Spacing", "which S of the T steps DDIM (and a respaced ancestral chain) visits: trailing, leading or linspace (diffusers' timestep_spacing)", false)
	f.Bind(&v.FinalAlphaBarFirst, "final-alpha-first", "SampleConfig.FinalAlphaBarFirst", "DDIM: the last step goes to ᾱ of the first step, not to ᾱ = 1 (diffusers' set_alpha_to_one=False)", false)
	f.Bind(&v.RawEpsDirection, "raw-eps", "SampleConfig.RawEpsDirection", "DDIM with clipping: keep the network's ε̂ in the direction term (diffusers) instead of re-deriving it from the clipped x̂_0 (guided-diffusion)", false)
	f.Field("sampler", "EvalConfig.Sample.Kind")
	return func(m *experiment.Model) (ddpm.SampleConfig, error) {
		sc := m.Config.SampleConfig(v.Kind)
		f.Overlay(&sc, &v, "SampleConfig")
		if f.Given("variance") && m.Config.LearnVariance {
			return sc, badFlag("-variance: %s learned its reverse variances (learn_variance): a fixed variance does not apply", m.Path)
		}
		return sc, f.explain(sc.Validate(m.Schedule.T))
	}
}
