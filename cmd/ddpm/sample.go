package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/figures"
	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/trained"
)

func runSample(args []string, stdout, stderr io.Writer) int {
	f := newFlags("sample")
	weights := f.String("weights", "", "weight file (weights.ddpm of a training run); default the shipped weights/<data>.ddpm")
	dataName := f.String("data", "swissroll", "with no -weights: which shipped weights/<data>.ddpm to use (swissroll, 8gaussians, mnist)")
	sampler := samplerFlags(f)
	var n int
	f.Bind(&n, "n", "", "number of samples (default 2000 for 2-D, 64 for images, 100 for a 10-class model's grid)", true)
	seed := f.Int64("seed", 1, "random seed")
	out := f.String("out", "samples.png", "output PNG: a grid of images or a 2-D scatter over the data")
	o := trained.GuidanceOptions{Label: -1}
	f.Bind(&o.Label, "label", "GuidanceOptions.Label", "class-conditional weights: the label of every sample (default: labels 0, 1, …, k−1, 0, … in turn)", false)
	f.Bind(&o.W, "guidance", "GuidanceOptions.W", "class-conditional weights: classifier-free guidance weight w ≥ 0 (Ho & Salimans Eq. 6; 0: the conditional model; default: the weight file's own, its provenance's \"guidance\", else 0)", false)
	f.TextVar(&o.Interval, "guidance-interval", o.Interval, "with -guidance: guide only at the noise levels σ_lo < σ_t ≤ σ_hi, given as σ_lo,σ_hi (hi may be inf; Kynkäänniemi et al. 2024), or all for every step; default: the weight file's own, its provenance's \"guidance_interval\", else every step")
	f.Field("guidance-interval", "GuidanceOptions.Interval")
	f.Bind(&o.Unconditional, "unconditional", "GuidanceOptions.Unconditional", "class-conditional weights: sample the unconditional model (the null label)", false)
	if code, ok := f.parse("usage: ddpm sample [-weights FILE | -data NAME] [flags]: draw samples and write a PNG", args, stderr); !ok {
		return code
	}
	if *weights == "" {
		*weights = filepath.Join("weights", *dataName+".ddpm")
		if _, err := os.Stat(*weights); err != nil {
			return fail(stderr, "sample", badFlag("no shipped weights %s (run from the repository root, or pass -weights FILE from ddpm train)", *weights), 2)
		}
	}
	if err := atomicfile.CheckDest(*out, atomicfile.PNG, *weights); err != nil {
		return fail(stderr, "sample", badFlag("-out %s: %v", *out, err), 2)
	}
	m, err := trained.Load(*weights)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	sc, err := sampler(m)
	if err != nil {
		return fail(stderr, "sample", err, 2)
	}
	if n == 0 {
		n = map[bool]int{true: 64, false: 2000}[m.Config.IsImage()]
		if m.Config.IsImage() && m.Config.NumClasses == 10 && o.Label < 0 && !o.Unconditional {
			n = 100 // a 10×10 grid: column j holds label j
		}
	}
	o = m.CompleteGuidance(o, f.Given("guidance"), f.Given("guidance-interval")) // the weight file's own defaults
	// Sized before any work: the PNG holds every sample.
	if short := trained.MemoryShort(trained.SampleMemory(m.Config, n)); short != "" {
		return fail(stderr, "sample", badFlag("-n %d: a PNG of %d samples needs %s: draw fewer", n, n, short), 2)
	}
	g, err := m.Guidance(o, n)
	if err != nil {
		return fail(stderr, "sample", f.explain(err), 2)
	}
	backend, err := backendpkg.New()
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	so := trained.SampleOptions{Progress: stderr, FirstBatch: trained.QuickBatch(m.Config)}
	if n > so.FirstBatch {
		steps := sc.WithDefaults(m.Schedule).Steps
		if steps == 0 {
			steps = m.Schedule.T
		}
		fmt.Fprintf(stderr, "ddpm sample: drawing %d samples (%s, %d steps) in batches of %d; a first batch of %d times this machine, then the time left shows\n",
			n, sc.Kind, steps, trained.DefaultSampleBatch(m.Config), so.FirstBatch)
	}
	x, err := m.SampleMany(backend, sc, g, n, *seed, so)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	png, err := figures.SamplesPNG(m.Config, x, string(sc.Kind), *seed)
	if err == nil {
		err = figs.WriteFile(*out, png, *weights)
	}
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	guided := ""
	if g.Labels != nil {
		guided = fmt.Sprintf(" (classifier-free guidance w = %g)", g.W)
	}
	fmt.Fprintf(stdout, "%d %s samples from %s%s written to %s\n", n, sc.Kind, *weights, guided, *out)
	return 0
}

// samplerFlags registers the sampler flags of sample and eval, each the
// field of ddpm.SampleConfig it sets; the returned function builds the
// sampler of a loaded model: the model's default for -sampler
// (trained.Model.SampleConfig), with each flag given in place of its
// field, checked by ddpm.SampleConfig.Validate.
func samplerFlags(f *flags) func(m *trained.Model) (ddpm.SampleConfig, error) {
	v := ddpm.SampleConfig{Kind: ddpm.Ancestral, Spacing: ddpm.SpacingTrailing}
	var kinds []string
	for _, s := range ddpm.Samplers() {
		kinds = append(kinds, fmt.Sprintf("%s: %s", s.Kind, s.Summary))
	}
	f.Bind(&v.Kind, "sampler", "SampleConfig.Kind", "sampler (eval: all but langevin):\n"+strings.Join(kinds, "\n"), false)
	f.Bind(&v.Steps, "steps", "SampleConfig.Steps", fmt.Sprintf("steps S of ddim, dpm++2m, heun / Langevin levels; ancestral: respace the schedule to S steps (default: %d for ddim, dpm++2m and heun, %d for langevin, T for ancestral)", ddpm.DefaultDDIMSteps, ddpm.DefaultLangevinLevels), true)
	f.TextVar(&v.Variance, "variance", v.Variance, "ancestral σ_t²: large (β_t) or small (β̃_t)")
	f.Field("variance", "SampleConfig.Variance")
	f.Bind(&v.ClipX0, "clip", "SampleConfig.ClipX0", "clip x̂_0 to [−clip, clip] (default 1 for images, off for 2-D; 0: off)", false)
	f.Bind(&v.Spacing, "spacing", "SampleConfig.Spacing", "which S of the T steps a sampler that skips steps (and a respaced ancestral chain) visits: trailing, leading or linspace (diffusers' timestep_spacing)", false)
	// Each sampler's own knobs, as it declares them (ddpm.SamplerKnob):
	// another sampler refuses them (SampleConfig.Validate).
	for _, k := range ddpm.SamplerKnobs() {
		if k.Flag != "" {
			f.Bind(k.Ptr(&v), k.Flag, "SampleConfig."+k.Field, k.Usage, k.ZeroIsDefault)
		}
	}
	f.Field("sampler", "Config.Sample.Kind")
	return func(m *trained.Model) (ddpm.SampleConfig, error) {
		sc := m.SampleConfig(v.Kind)
		f.Overlay(&sc, &v, "SampleConfig")
		if f.Given("variance") && m.Config.Variance() == ddpm.Learned {
			return sc, badFlag("-variance: %s learned its reverse variances (learn_variance): a fixed variance does not apply", m.Path)
		}
		return sc, f.explain(sc.Validate(m.Schedule.T))
	}
}
