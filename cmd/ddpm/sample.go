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
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

// sampleOptions are ddpm sample's own settings; the sampler's and the
// guidance's are their packages' configurations (samplerFlags,
// trained.GuidanceOptions).
type sampleOptions struct {
	Weights string `flag:"weights" usage:"weight file (weights.ddpm of a training run); default the shipped weights/<data>.ddpm"`
	Data    string `flag:"data" usage:"with no -weights: which shipped weights/<data>.ddpm to use (swissroll, 8gaussians, mnist)"`
	N       int    `flag:"n,zerodefault" usage:"number of samples"`
	Seed    int64  `flag:"seed" usage:"random seed"`
	Out     string `flag:"out" usage:"output PNG: a grid of images or a 2-D scatter over the data"`
}

// The default number of samples of ddpm sample: a scatter of points, a grid
// of images, a 10×10 grid for a 10-class model (column j holds label j).
const samplePoints, sampleImages, sampleGrid = 2000, 64, 100

func runSample(args []string, stdout, stderr io.Writer) int {
	f := newFlags("sample")
	opt := sampleOptions{Data: "swissroll", Seed: 1, Out: "samples.png"}
	f.Bind(&opt)
	f.SetDefault("n", fmt.Sprintf("%d for 2-D, %d for images, %d for a 10-class model's grid", samplePoints, sampleImages, sampleGrid))
	sampler := samplerFlags(f, &ddpm.SampleConfig{})
	o := trained.GuidanceOptions{Label: -1}
	f.Bind(&o)
	if code, ok := f.parse("usage: ddpm sample [-weights FILE | -data NAME] [flags]: draw samples and write a PNG", args, stderr); !ok {
		return code
	}
	n := opt.N
	if opt.Weights == "" {
		opt.Weights = filepath.Join("weights", opt.Data+".ddpm")
		if _, err := os.Stat(opt.Weights); err != nil {
			return fail(stderr, "sample", badFlag("no shipped weights %s (run from the repository root, or pass -weights FILE from ddpm train)", opt.Weights), 2)
		}
	}
	if err := atomicfile.CheckDest(opt.Out, atomicfile.PNG, opt.Weights); err != nil {
		return fail(stderr, "sample", badFlag("-out %s: %v", opt.Out, err), 2)
	}
	m, err := trained.Load(opt.Weights)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	sc, err := sampler(m)
	if err != nil {
		return fail(stderr, "sample", err, 2)
	}
	if n == 0 {
		n = map[bool]int{true: sampleImages, false: samplePoints}[m.Config.IsImage()]
		if m.Config.IsImage() && m.Config.NumClasses == 10 && o.Label < 0 && !o.Unconditional {
			n = sampleGrid
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
	x, err := m.SampleMany(backend, sc, g, n, opt.Seed, so)
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	png, err := figures.SamplesPNG(m.Config, x, string(sc.Kind), opt.Seed)
	if err == nil {
		err = figs.WriteFile(opt.Out, png, opt.Weights)
	}
	if err != nil {
		return fail(stderr, "sample", err, 1)
	}
	guided := ""
	if g.Labels != nil {
		guided = fmt.Sprintf(" (classifier-free guidance w = %g)", g.W)
	}
	fmt.Fprintf(stdout, "%d %s samples from %s%s written to %s\n", n, sc.Kind, opt.Weights, guided, opt.Out)
	return 0
}

// samplerFlags binds the sampler flags of sample and eval to *v, the
// tagged fields of ddpm.SampleConfig (for eval, its Config.Sample, already
// bound), with the defaults ddpm completes for each sampler; the returned
// function builds the sampler of a loaded model: the model's default for
// -sampler (trained.Model.SampleConfig), with each flag given laid over
// its field, checked by ddpm.SampleConfig.Validate.
func samplerFlags(f *flags, v *ddpm.SampleConfig) func(m *trained.Model) (ddpm.SampleConfig, error) {
	f.Bind(v)
	var kinds []string
	for _, s := range ddpm.Samplers() {
		kinds = append(kinds, fmt.Sprintf("%s: %s", s.Kind, s.Summary))
	}
	f.Lookup("sampler").Usage += ":\n" + strings.Join(kinds, "\n")
	// The defaults ddpm completes, on the default schedule, for each sampler
	// (-steps, the knobs), and the clipping a model of images samples with.
	if s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{}); err == nil {
		f.Defaults(ddpm.SampleConfig{}.WithDefaults(s))
		for _, k := range ddpm.Samplers() {
			f.DefaultsWhen(string(k.Kind), ddpm.SampleConfig{Kind: k.Kind}.WithDefaults(s), "sampler", "clip")
		}
	}
	f.SetDefault("s-noise", fmt.Sprintf("%g", ddpm.DefaultSNoise))
	images := &trained.Model{Config: recipe.Config{Data: recipe.MNIST}}
	f.SetDefault("clip", fmt.Sprintf("%g for images, 0 for points", images.SampleConfig(ddpm.Ancestral).ClipX0))
	return func(m *trained.Model) (ddpm.SampleConfig, error) {
		sc := m.SampleConfig(v.Kind)
		if err := f.Overlay(&sc, v); err != nil {
			return sc, err
		}
		if f.Given("variance") && m.Config.Variance() == ddpm.Learned {
			return sc, badFlag("-variance: %s learned its reverse variances (learn_variance): a fixed variance does not apply", m.Path)
		}
		return sc, f.explain(sc.Validate(m.Schedule.T))
	}
}
