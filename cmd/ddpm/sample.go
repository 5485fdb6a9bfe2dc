package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/figs/figures"
)

func runSample(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	weights := fs.String("weights", "", "weight file (weights.ddpm of a training run); default the shipped weights/<data>.ddpm")
	dataName := fs.String("data", "swissroll", "with no -weights: which shipped weights/<data>.ddpm to use (swissroll, 8gaussians, mnist)")
	kind := fs.String("sampler", "ancestral", "sampler: ancestral (Algorithm 2), ddim, langevin")
	n := fs.Int("n", 0, "number of samples (default 2000 for 2-D, 64 for images)")
	steps := fs.Int("steps", 0, "DDIM steps S / Langevin levels (default 50 / 100); ancestral: respace the schedule to S steps (default T)")
	eta := fs.Float64("eta", 0, "DDIM η in [0, 1]")
	variance := fs.String("variance", "large", "ancestral σ_t²: large (β_t) or small (β̃_t)")
	clip := fs.Float64("clip", -1, "clip x̂_0 to [−clip, clip] (default 1 for images, off for 2-D)")
	seed := fs.Int64("seed", 1, "random seed")
	out := fs.String("out", "samples.png", "output PNG: a grid of images or a 2-D scatter over the data")
	conv := samplerConventionFlags(fs)
	label := fs.Int("label", -1, "class-conditional weights: the label of every sample (default: labels 0, 1, …, k−1, 0, … in turn)")
	guidance := fs.Float64("guidance", 0, "class-conditional weights: classifier-free guidance weight w ≥ 0 (Ho & Salimans Eq. 6; 0: the conditional model)")
	uncond := fs.Bool("unconditional", false, "class-conditional weights: sample the unconditional model (the null label)")
	if code, ok := parseFlags(fs, "usage: ddpm sample [-weights FILE | -data NAME] [flags]: draw samples and write a PNG", args, stderr); !ok {
		return code
	}
	if err := checkSampleFlags(fs, *kind); err != nil {
		return fail(stderr, "sample", err, 2)
	}
	if *weights == "" {
		*weights = filepath.Join("weights", *dataName+".ddpm")
		if _, err := os.Stat(*weights); err != nil {
			fmt.Fprintf(stderr, "ddpm sample: no shipped weights %s (run from the repository root, or pass -weights FILE from ddpm train)\n", *weights)
			return 2
		}
	}
	if *variance != "large" && *variance != "small" {
		fmt.Fprintf(stderr, "ddpm sample: -variance %q: use large or small\n", *variance)
		return 2
	}
	m, err := experiment.LoadWeights(*weights)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	if *steps > m.Schedule.T {
		return fail(stderr, "sample", badFlag("-steps %d: these weights have T=%d diffusion steps, use at most %d", *steps, m.Schedule.T, m.Schedule.T), 2)
	}
	set := explicit(fs)
	switch k := m.Config.NumClasses; {
	case k == 0 && (set["label"] || set["guidance"] || *uncond):
		return fail(stderr, "sample", badFlag("-label, -guidance and -unconditional need class-conditional weights (ddpm train -cond); %s is unconditional", *weights), 2)
	case *uncond && (set["label"] || set["guidance"]):
		return fail(stderr, "sample", badFlag("-unconditional samples the null label: leave out -label and -guidance"), 2)
	case set["label"] && (*label < 0 || *label >= k):
		return fail(stderr, "sample", badFlag("-label %d: these weights have labels 0…%d", *label, k-1), 2)
	}
	if err := checkOutput(*out); err != nil {
		return fail(stderr, "sample", err, 1)
	}
	img := m.Config.IsImage()
	if *n == 0 {
		*n = map[bool]int{true: 64, false: 2000}[img]
		if img && m.Config.NumClasses == 10 && !*uncond && !set["label"] {
			*n = 100 // a 10×10 grid: column j holds label j
		}
	}
	if *n < 1 {
		fmt.Fprintf(stderr, "ddpm sample: -n %d must be ≥ 1\n", *n)
		return 2
	}
	var g experiment.Guidance
	if k := m.Config.NumClasses; k > 0 && !*uncond {
		g = experiment.Guidance{Labels: experiment.BalancedLabels(*n, k), W: *guidance}
		if set["label"] {
			g.Labels = []int32{int32(*label)}
		}
	}
	cfg := m.Config.SampleConfig(ddpm.SamplerKind(*kind))
	conv.apply(&cfg)
	cfg.Eta = *eta
	if *steps != 0 {
		cfg.Steps = *steps
	}
	if *clip >= 0 {
		cfg.ClipX0 = *clip
	}
	if *variance == "small" {
		cfg.Variance = ddpm.FixedSmall
	}
	backend, err := ddpm.Backend()
	if err != nil {
		fmt.Fprintf(stderr, "ddpm sample: %v\n", err)
		return 1
	}
	x, _, err := m.SampleGuided(backend, cfg, g, *n, *seed)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	png, err := figures.SamplesPNG(m.Config, x, *kind, *seed)
	if err == nil {
		err = figs.WriteFile(*out, png)
	}
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	fmt.Fprintf(stdout, "%d %s samples from %s written to %s\n", *n, *kind, *weights, *out)
	return 0
}

// samplerConventionFlags registers the sampler conventions shared by sample
// and eval (ddpm.SampleConfig's Spacing, FinalAlphaBarFirst and
// RawEpsDirection); apply sets them on a SampleConfig.
func samplerConventionFlags(fs *flag.FlagSet) *conventionFlags {
	return &conventionFlags{
		spacing:    fs.String("spacing", string(ddpm.SpacingTrailing), "which S of the T steps DDIM (and a respaced ancestral chain) visits: trailing, leading or linspace (diffusers' timestep_spacing)"),
		finalFirst: fs.Bool("final-alpha-first", false, "DDIM: the last step goes to ᾱ of the first step, not to ᾱ = 1 (diffusers' set_alpha_to_one=False)"),
		rawEps:     fs.Bool("raw-eps", false, "DDIM with clipping: keep the network's ε̂ in the direction term (diffusers) instead of re-deriving it from the clipped x̂_0 (guided-diffusion)"),
	}
}

// conventionFlags are the values of samplerConventionFlags.
type conventionFlags struct {
	spacing            *string
	finalFirst, rawEps *bool
}

func (f *conventionFlags) apply(c *ddpm.SampleConfig) {
	c.Spacing, c.FinalAlphaBarFirst, c.RawEpsDirection = ddpm.Spacing(*f.spacing), *f.finalFirst, *f.rawEps
}
