// Package eval is the evaluation protocol behind the numbers of
// docs/results.md and docs/cpu.md: sample-based metrics of a trained
// model, each with its floor (the same distance between two draws of the
// data), and for images the NLL bound
// ([Evaluate]); its inputs are read and checked once, before any sample is
// drawn ([Prepare]), and its report is a table or JSON ([Report]).
package eval

import (
	"fmt"
	"io"

	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

// The defaults of Config's sizes: N for 2-D data (enough for sliced W1 and
// MMD with a floor well below the models' values) and for images (10,000,
// the size of MNIST's test set, which the Fréchet distance compares with),
// and the images drawn per compiled call.
const (
	DefaultNPoints     = 2000
	DefaultNImages     = 10000
	DefaultSampleBatch = 1000
)

// Config configures [Evaluate]: the evaluation protocol behind the
// numbers of docs/results.md and docs/cpu.md. Zero values take the defaults given.
type Config struct {
	// N is the number of samples; default 2000 for 2-D data, 10,000 (the
	// size of MNIST's test set) for images.
	N int `flag:"n,zerodefault" usage:"number of samples"`
	// Sample is the sampler, as trained.Model.SampleConfig makes it and
	// the caller changes it; a zero Kind is the model's default sampler of
	// kind ddpm.Ancestral (Algorithm 2). Prediction and a learned variance
	// are always the model's (trained.Model.Adapt).
	Sample ddpm.SampleConfig
	// Seed seeds the samples (chunk k of images from Seed + 2k: SampleNoise
	// uses its seed for x_T and seed+1 for the chain), the fresh data points
	// of the 2-D metrics and the NLL noise.
	Seed int64 `flag:"seed" usage:"random seed of the samples, the fresh data points and the NLL noise"`
	// NLLExamples: images only (refused for 2-D data, like NLLStride,
	// SampleBatch and DataDir), the number of test images (the first ones)
	// for the NLL bound; 0 skips the bound.
	NLLExamples int `flag:"nll-examples" usage:"images: number of test digits (the first ones) for the NLL bound; 0 skips it"`
	// NLLStride: images only, ddpm.NLLConfig.Stride (one L_{t−1} term in
	// each block of k consecutive t, weighted by k); default 1 (the full bound).
	NLLStride int `flag:"nll-stride,zerodefault" usage:"images: evaluate one L_{t−1} term in each block of k consecutive t, weighted by k (a stratified estimate; 1 = the full bound)"`
	// SampleBatch: images only, samples drawn per compiled call and handed
	// to the metric before the next (it bounds memory, which does not grow
	// with N); default 1000.
	SampleBatch int `flag:"sample-batch,zerodefault" usage:"images: samples drawn per compiled call (bounds memory)"`
	// Classifier is the weight file of the classifier whose features give
	// the Fréchet distance of a data set that declares one (data.Dataset.Eval:
	// MNIST's MNIST-FD; refused for other data); default the one it declares
	// (classifier.PathOf(Eval.Classifier): classifier.DefaultPath() for MNIST).
	Classifier string `flag:"classifier" usage:"classifier weights for the Fréchet distance of image data that has one"`
	// DataDir is the folder of the test (and, for a data set with a
	// classifier, training) images; default the model's DataDir when it
	// exists, else the copy that ships (data.Dataset.DefaultDir; MNIST: the
	// GoMNIST module's).
	DataDir string `flag:"data-dir" usage:"folder of the test (and training) images when not the model's own (used when it exists here)"`
	// Guidance is the classifier-free guidance weight w ≥ 0 of a
	// class-conditional model (ddpm.Guided), which is sampled with the
	// balanced labels 0, 1, …, k−1, 0, … (trained.BalancedLabels, per chunk) and
	// also scored by the share of samples the MNIST classifier reads as their
	// label; default 0 (the conditional model alone).
	Guidance float64 `flag:"guidance" usage:"class-conditional weights (sampled with labels 0…k−1 in turn): classifier-free guidance weight w ≥ 0 (default: the weight file's own, its provenance's \"guidance\", else 0)"`
	// GuidanceInterval limits the guidance to the noise levels
	// σ_lo < σ_t ≤ σ_hi (ddpm.GuidanceInterval); zero: every step.
	GuidanceInterval ddpm.GuidanceInterval `flag:"guidance-interval" usage:"with -guidance: guide only at the noise levels σ_lo < σ_t ≤ σ_hi, given as σ_lo,σ_hi (hi may be inf; Kynkäänniemi et al. 2024), or all for every step; default: the weight file's own, its provenance's \"guidance_interval\", else every step"`
	// Unconditional samples a class-conditional model at the null label
	// instead (no labels, no guidance).
	Unconditional bool `flag:"unconditional" usage:"class-conditional weights: evaluate the unconditional model (the null label)"`
	// Log gets one progress line per stage; default none.
	Log io.Writer
}

// WithDefaults fills the zero fields of e for the model m and checks the
// result; its sampler is complete (m's sampler, trained.Model.Adapt, then
// ddpm.SampleConfig.WithDefaults on m's schedule).
func (e Config) WithDefaults(m *trained.Model) (Config, error) {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("eval", "Config", name, v, want, args...)
	}
	c := m.Config
	ds, _ := data.Lookup(c.Data) // unknown data: the zero Dataset, no evaluator
	// A field the model's data does not use is refused, not ignored.
	for _, f := range []struct {
		name string
		v    any
		set  bool
		uses bool
	}{
		{"NLLExamples", e.NLLExamples, e.NLLExamples != 0, c.IsImage()},
		{"NLLStride", e.NLLStride, e.NLLStride != 0, c.IsImage()},
		{"SampleBatch", e.SampleBatch, e.SampleBatch != 0, c.IsImage()},
		{"DataDir", e.DataDir, e.DataDir != "", c.IsImage()},
		{"Classifier", e.Classifier, e.Classifier != "", ds.Eval != nil},
	} {
		if f.set && !f.uses {
			return e, bad(f.name, f.v, "does not apply to a model of %s: leave it out", c.Data)
		}
	}
	if e.N == 0 {
		e.N = map[bool]int{true: DefaultNImages, false: DefaultNPoints}[c.IsImage()]
	}
	if e.NLLStride == 0 {
		e.NLLStride = 1
	}
	if e.SampleBatch == 0 {
		e.SampleBatch = DefaultSampleBatch
	}
	if e.Classifier == "" && ds.Eval != nil {
		e.Classifier = classifier.PathOf(ds.Eval.Classifier)
	}
	if e.Log == nil {
		e.Log = io.Discard
	}
	if e.Sample.Kind == "" {
		e.Sample = m.SampleConfig(ddpm.Ancestral)
	}
	s, err := m.Adapt(e.Sample)
	if err != nil {
		return e, err
	}
	e.Sample = s
	switch {
	case e.N < 2:
		return e, bad("N", e.N, "must be ≥ 2 samples")
	case e.NLLExamples < 0:
		return e, bad("NLLExamples", e.NLLExamples, "must be ≥ 0 (0: no bound)")
	case e.NLLStride < 1:
		return e, bad("NLLStride", e.NLLStride, "must be ≥ 1 (1: the full bound)")
	case e.SampleBatch < 1:
		return e, bad("SampleBatch", e.SampleBatch, "must be ≥ 1")
	case e.Sample.Kind == ddpm.Langevin:
		return e, bad("Sample.Kind", e.Sample.Kind, "is not an evaluation sampler: use any other one")
	case !(e.Guidance >= 0) || e.Guidance > ddpm.MaxGuidance:
		return e, bad("Guidance", e.Guidance, "must be a finite number ≥ 0")
	case e.Guidance != 0 && c.NumClasses == 0:
		return e, bad("Guidance", e.Guidance, "needs a class-conditional model (trained with labels)")
	case e.Unconditional && c.NumClasses == 0:
		return e, bad("Unconditional", e.Unconditional, "needs a class-conditional model (trained with labels)")
	case e.Guidance != 0 && e.Unconditional:
		return e, bad("Guidance", e.Guidance, "needs labels: leave out unconditional sampling")
	case e.GuidanceInterval.Validate() != nil:
		return e, bad("GuidanceInterval", e.GuidanceInterval, "must be σ_lo,σ_hi with 0 ≤ σ_lo < σ_hi")
	case !e.GuidanceInterval.IsZero() && e.Guidance == 0:
		return e, bad("GuidanceInterval", e.GuidanceInterval, "limits guidance: give a guidance weight w > 0 too")
	}
	if err := field.CheckFloats("eval", "Config", e); err != nil {
		return e, err
	}
	if err := e.Sample.Validate(c.Schedule.T); err != nil {
		return e, err
	}
	e.Sample = e.Sample.WithDefaults(m.Schedule)
	return e, nil
}

// checkMemory refuses, before any sample is drawn, more 2-D samples than
// the metrics can hold in this host's memory, or a batch of images larger
// than it can hold ([Memory]).
func (e Config) checkMemory(c recipe.Config) error {
	short := trained.MemoryShort(Memory(c, e))
	switch {
	case short == "":
	case c.IsImage():
		return field.New("eval", "Config", "SampleBatch", e.SampleBatch, "is more images than memory holds at once: a batch needs %s; use a smaller batch", short)
	default:
		return field.New("eval", "Config", "N", e.N, "samples are more than the 2-D metrics can hold: they need %s; use fewer", short)
	}
	return nil
}

// Bytes per example that the evaluation holds, for [Memory] (float32 = 4
// bytes, float64 = 8; measured from the code, not the allocator, so they
// are lower bounds):
//
//   - sampleCopies: a batch of samples as trained.Model.SampleEach hands it
//     on, its tensor and the classifier's input: 3 float32 copies;
//   - eval2DPointBytes: 2-D sliced W₁ and MMD hold the samples and three
//     draws of the data (4 float32 pairs) and the projections (2 float64).
const (
	sampleCopies     = 3
	eval2DPointBytes = 4*2*4 + 2*8
)

// Memory is the estimated memory, in bytes, of [Evaluate]'s samples
// and metrics for a model of c: the 2-D metrics hold all e.N samples; images
// stream to the metric, so only one batch of min(e.SampleBatch, e.N) is
// held (its float32 copies and the classifier's float64 logits and
// features). e has its defaults (Config.WithDefaults).
func Memory(c recipe.Config, e Config) float64 {
	if !c.IsImage() {
		return float64(e.N) * eval2DPointBytes
	}
	values := 1
	for _, d := range c.ExampleDims() {
		values *= d
	}
	return float64(min(e.SampleBatch, e.N)) * (sampleCopies*4*float64(values) + (10+128)*8)
}

// capNotes are the notes, said before sampling, of the evaluation of a data
// set with a classifier (data.Dataset.Eval: MNIST) that asks for more than
// the data holds: a floor capped by its training images (data.Dataset.TrainSize,
// MNIST's 60,000: "floor") and an NLL bound by its test images (TestSize,
// MNIST's 10,000: "nll").
func capNotes(c recipe.Config, e Config) map[string]string {
	notes := map[string]string{}
	d, _ := data.Lookup(c.Data) // unknown data: the zero Dataset, no evaluator
	if d.Eval == nil {
		return notes
	}
	if e.N > d.TrainSize {
		notes["floor"] = fmt.Sprintf("the floor uses all %d training images, fewer than the %d samples: it is the floor of %d samples", d.TrainSize, e.N, d.TrainSize)
	}
	if e.NLLExamples > d.TestSize {
		notes["nll"] = fmt.Sprintf("the NLL bound uses the %d test images, fewer than the %d asked for (nll_examples)", d.TestSize, e.NLLExamples)
	}
	return notes
}
