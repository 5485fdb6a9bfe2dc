package experiment

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/metrics"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// capNotes are the notes, said before sampling, of the evaluation of a data
// set with a classifier (data.Dataset.Eval: MNIST) that asks for more than
// the data holds: a floor capped by its training images (data.Dataset.TrainSize,
// MNIST's 60,000: "floor") and an NLL bound by its test images (TestSize,
// MNIST's 10,000: "nll").
func capNotes(c Config, e EvalConfig) map[string]string {
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

// ConfidentThreshold is the classifier confidence above which a sample
// counts as read as a digit (EvalReport.Extra["confident_share"]).
const ConfidentThreshold = 0.9

// EvalConfig configures [Evaluate]: the evaluation protocol behind the
// README's numbers. Zero values take the defaults given.
type EvalConfig struct {
	// N is the number of samples; default 2000 for 2-D data, 10,000 (the
	// size of MNIST's test set) for images.
	N int
	// Sample is the sampler, as [Config.SampleConfig] of the model makes it
	// and the caller changes it; a zero Kind is the model's default
	// sampler of kind ddpm.Ancestral (Algorithm 2). Prediction and a learned
	// variance are always the model's.
	Sample ddpm.SampleConfig
	// Seed seeds the samples (chunk k of images from Seed + 2k: SampleNoise
	// uses its seed for x_T and seed+1 for the chain), the fresh data points
	// of the 2-D metrics and the NLL noise.
	Seed int64
	// NLLExamples: images only (refused for 2-D data, like NLLStride,
	// SampleBatch and DataDir), the number of test images (the first ones)
	// for the NLL bound; 0 skips the bound.
	NLLExamples int
	// NLLStride: images only, ddpm.NLLConfig.Stride (one L_{t−1} term in
	// each block of k consecutive t, weighted by k); default 1 (the full bound).
	NLLStride int
	// SampleBatch: images only, samples drawn per compiled call and handed
	// to the metric before the next (it bounds memory, which does not grow
	// with N); default 1000.
	SampleBatch int
	// Classifier is the weight file of the classifier whose features give
	// the Fréchet distance of a data set that declares one (data.Dataset.Eval:
	// MNIST's MNIST-FD; refused for other data); default the one it declares
	// (classifier.PathOf(Eval.Classifier): classifier.DefaultPath() for MNIST).
	Classifier string
	// DataDir is the folder of the test (and, for a data set with a
	// classifier, training) images; default the model's DataDir when it
	// exists, else the copy that ships (data.Dataset.DefaultDir; MNIST: the
	// GoMNIST module's).
	DataDir string
	// Guidance is the classifier-free guidance weight w ≥ 0 of a
	// class-conditional model (ddpm.Guided), which is sampled with the
	// balanced labels 0, 1, …, k−1, 0, … (BalancedLabels, per chunk) and
	// also scored by the share of samples the MNIST classifier reads as their
	// label; default 0 (the conditional model alone).
	Guidance float64
	// GuidanceInterval limits the guidance to the noise levels
	// σ_lo < σ_t ≤ σ_hi (ddpm.GuidanceInterval); zero: every step.
	GuidanceInterval ddpm.GuidanceInterval
	// Unconditional samples a class-conditional model at the null label
	// instead (no labels, no guidance).
	Unconditional bool
	// Log gets one progress line per stage; default none.
	Log io.Writer
}

// WithDefaults fills the zero fields of e for model configuration c and
// checks the result; its sampler is complete (ddpm.SampleConfig.WithDefaults
// on the schedule of c).
func (e EvalConfig) WithDefaults(c Config) (EvalConfig, error) {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("experiment", "EvalConfig", name, v, want, args...)
	}
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
		e.N = map[bool]int{true: 10000, false: 2000}[c.IsImage()]
	}
	if e.NLLStride == 0 {
		e.NLLStride = 1
	}
	if e.SampleBatch == 0 {
		e.SampleBatch = 1000
	}
	if e.Classifier == "" && ds.Eval != nil {
		e.Classifier = classifier.PathOf(ds.Eval.Classifier)
	}
	if e.Log == nil {
		e.Log = io.Discard
	}
	if e.Sample.Kind == "" {
		e.Sample = c.SampleConfig(ddpm.Ancestral)
	}
	e.Sample.Prediction = c.Prediction
	if c.LearnVariance {
		e.Sample.Variance = ddpm.Learned
	}
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
		return e, bad("Guidance", e.Guidance, "needs a class-conditional model (trained with -cond)")
	case e.Unconditional && c.NumClasses == 0:
		return e, bad("Unconditional", e.Unconditional, "needs a class-conditional model (trained with -cond)")
	case e.Guidance != 0 && e.Unconditional:
		return e, bad("Guidance", e.Guidance, "needs labels: leave out unconditional sampling")
	case e.GuidanceInterval.Validate() != nil:
		return e, bad("GuidanceInterval", e.GuidanceInterval, "must be σ_lo,σ_hi with 0 ≤ σ_lo < σ_hi")
	case !e.GuidanceInterval.IsZero() && e.Guidance == 0:
		return e, bad("GuidanceInterval", e.GuidanceInterval, "limits guidance: give a guidance weight w > 0 too")
	}
	if err := field.CheckFloats("experiment", "EvalConfig", e); err != nil {
		return e, err
	}
	if err := e.Sample.Validate(c.Schedule.T); err != nil {
		return e, err
	}
	s, err := ddpm.NewSchedule(c.Schedule)
	if err != nil {
		return e, err
	}
	e.Sample = e.Sample.WithDefaults(s)
	return e, nil
}

// checkMemory refuses, before any sample is drawn, more 2-D samples than
// the metrics can hold in this host's memory, or a batch of images larger
// than it can hold ([EvalMemory]).
func (e EvalConfig) checkMemory(c Config) error {
	short := MemoryShort(EvalMemory(c, e))
	switch {
	case short == "":
	case c.IsImage():
		return field.New("experiment", "EvalConfig", "SampleBatch", e.SampleBatch, "is more images than memory holds at once: a batch needs %s; use a smaller batch", short)
	default:
		return field.New("experiment", "EvalConfig", "N", e.N, "samples are more than the 2-D metrics can hold: they need %s; use fewer", short)
	}
	return nil
}

// EvalReport is the outcome of [Evaluate] ("ddpm eval -json" prints it).
type EvalReport struct {
	Weights    string             `json:"weights"`
	Data       string             `json:"data"`
	Model      string             `json:"model"`
	Provenance Provenance         `json:"provenance"` // of the weights
	N          int                `json:"n"`
	Sampler    string             `json:"sampler"`
	Steps      int                `json:"steps,omitempty"` // S of a sampler that skips steps
	Eta        float64            `json:"eta,omitempty"`
	Seed       int64              `json:"seed"`
	Backend    string             `json:"backend"`
	Metrics    []MetricJSON       `json:"metrics"`
	NLL        *NLLJSON           `json:"nll,omitempty"`
	Notes      map[string]string  `json:"notes,omitempty"`
	Extra      map[string]any     `json:"extra,omitempty"`
	Timings    map[string]float64 `json:"timings_seconds"`

	// Evaluations is the number of network evaluations of one chain
	// (ddpm.SampleConfig.Evaluations), the cost samplers are compared at.
	Evaluations int `json:"evaluations"`

	// Reports are the metrics with their floors (NaN and ±Inf kept; Metrics
	// has them as null, which JSON can hold).
	Reports []metrics.Report `json:"-"`
}

// MetricJSON is a metrics.Report with non-finite numbers as null (JSON has no NaN).
type MetricJSON struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value"`
	Floor *float64 `json:"floor"`
	Ratio *float64 `json:"ratio"`
}

// NLLJSON is the NLL bound of an [EvalReport].
type NLLJSON struct {
	BitsPerDim float64 `json:"bits_per_dim"`
	StdErr     float64 `json:"std_err"`
	Examples   int     `json:"examples"`
	Stride     int     `json:"stride"`
	Estimate   bool    `json:"estimate"` // true when stride > 1 (stratified estimate of the sum over t)
	Prior      float64 `json:"prior_bpd"`
	Decoder    float64 `json:"decoder_bpd"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Evaluate computes the sample-based metrics of m, each with its floor (the
// same distance between two draws of the data of the same size), and for
// images the NLL bound:
//
//   - 2-D data: sliced W₁ and MMD of cfg.N samples against cfg.N fresh data
//     points, see eval2D;
//   - images: for a data set with a classifier (data.Dataset.Eval; MNIST:
//     MNIST-FD) the Fréchet distance of the samples against the test images,
//     floor cfg.N random training images against the same test images, see
//     evalImages; then the NLL bound (Eq. 5) on the first cfg.NLLExamples
//     test images.
func Evaluate(backend compute.Backend, m *Model, cfg EvalConfig) (*EvalReport, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	cfg, err := cfg.WithDefaults(m.Config)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkMemory(m.Config); err != nil {
		return nil, err
	}
	res := &EvalReport{Weights: m.Path, Data: m.Config.Data, Model: m.Config.ModelName(), Provenance: m.Provenance,
		N: cfg.N, Sampler: string(cfg.Sample.Kind), Seed: cfg.Seed, Backend: ddpm.DescribeBackend(backend),
		Notes: map[string]string{}, Extra: map[string]any{}, Timings: map[string]float64{}}
	sc := cfg.Sample
	if sc.Kind == ddpm.DDIM || sc.Steps > 0 {
		res.Steps, res.Eta = sc.Steps, sc.Eta
	}
	res.Evaluations = sc.Evaluations(m.Schedule.T)
	if (sc.Spacing != "" && sc.Spacing != ddpm.SpacingTrailing) || sc.FinalAlphaBarFirst || sc.RawEpsDirection {
		res.Notes["sampler"] = fmt.Sprintf("spacing %s, final ᾱ_prev of the first step %v, raw ε̂ direction %v", sc.Spacing, sc.FinalAlphaBarFirst, sc.RawEpsDirection)
	}
	img := m.Config.IsImage()
	for _, k := range []string{"floor", "nll"} {
		if note, ok := capNotes(m.Config, cfg)[k]; ok {
			res.Notes[k] = note
			fmt.Fprintf(cfg.Log, "ddpm eval: note: %s\n", note)
		}
	}
	t0 := time.Now()
	var samples []float32
	var labels []int32
	var st *mnistStream
	if img {
		// Images stream to the metric batch by batch: memory does not grow with N.
		if ds, _ := data.Lookup(m.Config.Data); ds.Eval != nil {
			if st, err = newMNISTStream(backend, ds.Eval.Metric, cfg.Classifier); err != nil {
				return nil, err
			}
		}
		labels, err = streamSamples(backend, m, sc, cfg, st)
	} else {
		samples, labels, err = drawSamples(backend, m, sc, cfg)
	}
	if err != nil {
		return nil, err
	}
	res.Timings["sampling"] = time.Since(t0).Seconds()
	fmt.Fprintf(cfg.Log, "ddpm eval: %d samples (%s) in %.1fs\n", cfg.N, cfg.Sample.Kind, res.Timings["sampling"])
	if labels != nil {
		res.Extra["guidance"] = cfg.Guidance
		res.Notes["labels"] = fmt.Sprintf("class-conditional model sampled with the balanced labels 0…%d and guidance w = %g", m.Config.NumClasses-1, cfg.Guidance)
		if !cfg.GuidanceInterval.IsZero() {
			res.Extra["guidance_interval"] = []float64{cfg.GuidanceInterval.Lo, cfg.GuidanceInterval.Hi}
			res.Notes["labels"] += fmt.Sprintf(" at the noise levels %g < σ_t ≤ %g only", cfg.GuidanceInterval.Lo, cfg.GuidanceInterval.Hi)
		}
	}
	if img {
		err = evalImages(backend, m, cfg, st, res)
	} else {
		err = eval2D(m, cfg, samples, res)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range res.Reports {
		res.Metrics = append(res.Metrics, MetricJSON{Name: r.Name, Value: finite(r.Value), Floor: finite(r.Floor), Ratio: finite(r.Ratio)})
	}
	return res, nil
}

// drawSamples draws cfg.N 2-D samples, flattened [n, 2], with
// Model.SampleMany in batches of DefaultSampleBatch (one for the usual N;
// batch k from seed cfg.Seed + 2k), with a progress line and the time left
// on cfg.Log after the first batch. A class-conditional model (unless
// cfg.Unconditional) samples each batch with BalancedLabels, which are
// returned, one per sample; otherwise labels is nil. Samples holding a NaN
// or an infinity are an error. (The 2-D metrics sort and pair all the
// samples: they are held, and sized by [EvalMemory].)
func drawSamples(backend compute.Backend, m *Model, sc ddpm.SampleConfig, cfg EvalConfig) (out []float32, labels []int32, err error) {
	o := SampleOptions{Batch: DefaultSampleBatch(m.Config), Progress: cfg.Log}
	var g Guidance
	if m.Config.NumClasses > 0 && !cfg.Unconditional {
		g.W, o.Labels = cfg.Guidance, func(_, b int) []int32 {
			l := BalancedLabels(b, m.Config.NumClasses)
			labels = append(labels, l...)
			return l
		}
		g.Interval = cfg.GuidanceInterval
	}
	x, err := m.SampleMany(backend, sc, g, cfg.N, cfg.Seed, o)
	if err != nil {
		return nil, nil, err
	}
	return tensors.MustCopyFlatData[float32](x), labels, nil
}

// streamSamples draws cfg.N images in batches of cfg.SampleBatch (batch k
// from seed cfg.Seed + 2k, each of a class-conditional model with
// BalancedLabels) with Model.SampleEach, and hands each batch to st (nil:
// no metric reads the samples); only a batch is held at a time. It returns
// the labels' first batch as a sign that labels were used (nil otherwise).
func streamSamples(backend compute.Backend, m *Model, sc ddpm.SampleConfig, cfg EvalConfig, st *mnistStream) (labelled []int32, err error) {
	o := SampleOptions{Batch: cfg.SampleBatch, Progress: cfg.Log}
	var g Guidance
	var batchLabels []int32
	if m.Config.NumClasses > 0 && !cfg.Unconditional {
		g.W, g.Interval, o.Labels = cfg.Guidance, cfg.GuidanceInterval, func(_, b int) []int32 {
			batchLabels = BalancedLabels(b, m.Config.NumClasses)
			if labelled == nil {
				labelled = batchLabels
			}
			return batchLabels
		}
	}
	err = m.SampleEach(backend, sc, g, cfg.N, cfg.Seed, o, func(x []float32, _ int) error {
		if st == nil {
			return nil
		}
		return st.add(x, batchLabels)
	})
	return labelled, err
}

// mnistStream scores samples batch by batch with the classifier a data set
// declares (data.Dataset.Eval; MNIST's for MNIST-FD): the
// Gaussian of their features (for MNIST-FD), how many it reads with
// confidence ≥ ConfidentThreshold and, with labels, how many it reads as
// their label. It holds no sample.
type mnistStream struct {
	backend         compute.Backend
	store           *model.Store
	meta            *classifier.Meta
	feats           *metrics.GaussianAcc
	n, confident    int
	labelled, reads int
}

// newMNISTStream loads the classifier at path, whose features give the
// Fréchet distance named metric.
func newMNISTStream(backend compute.Backend, metric, path string) (*mnistStream, error) {
	store, meta, err := classifier.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s needs the classifier weights (go run ./classifier/cmd/trainclassifier): %w", metric, err)
	}
	return &mnistStream{backend: backend, store: store, meta: meta, feats: metrics.NewGaussianAcc(classifier.FeatureDim)}, nil
}

// add scores a batch of images x (flattened [b, 28, 28, 1]) drawn for
// labels (nil: none).
func (s *mnistStream) add(x []float32, labels []int32) error {
	logits, feats, err := classifier.Infer(s.backend, s.store, x)
	if err != nil {
		return err
	}
	if err := s.feats.Add(feats); err != nil {
		return err
	}
	b := len(logits) / classifier.Classes
	// The shares are counts over b: rounding share·b gives the counts back.
	cs, err := classifier.ConfidentShare(logits, ConfidentThreshold)
	if err != nil {
		return err
	}
	s.n, s.confident = s.n+b, s.confident+int(math.Round(cs*float64(b)))
	if labels != nil {
		acc, err := classifier.LabelAccuracy(logits, labels)
		if err != nil {
			return err
		}
		s.labelled, s.reads = s.labelled+b, s.reads+int(math.Round(acc*float64(b)))
	}
	return nil
}

// eval2D: sliced W₁ and MMD of the samples against cfg.N fresh data points
// (PCG(seed, 3)), each with its floor (two draws of the data, PCG(seed, 1)
// and PCG(seed, 2), see metrics.Floor). The MMD bandwidth is the median
// heuristic on the floor's pooled data, used for both values, so that it
// does not depend on the model.
func eval2D(m *Model, cfg EvalConfig, samples []float32, res *EvalReport) error {
	sampler, err := data.Toy2D(m.Config.Data)
	if err != nil {
		return err
	}
	d := 2
	seed := uint64(cfg.Seed)
	fresh := sampler(rand.New(rand.NewPCG(seed, 3)), cfg.N)
	sw := func(a, b []float32) (float64, error) { return metrics.SlicedW1(a, b, d, metrics.SlicedConfig{}) }
	v, err := sw(samples, fresh)
	if err != nil {
		return err
	}
	f, err := metrics.Floor(sw, sampler, cfg.N, seed)
	if err != nil {
		return err
	}
	res.Reports = append(res.Reports, metrics.NewReport("sliced-W1", v, f))
	res.Notes["sliced-W1"] = "sliced Wasserstein-1, 256 random directions (seed 0), exact 1-D W1 by sorting"

	d1 := sampler(rand.New(rand.NewPCG(seed, 1)), cfg.N)
	d2 := sampler(rand.New(rand.NewPCG(seed, 2)), cfg.N)
	h := metrics.MedianBandwidth(d1, d2, d, metrics.MMDConfig{})
	mv, err := metrics.MMD(samples, fresh, d, metrics.MMDConfig{Bandwidth: h})
	if err != nil {
		return err
	}
	mf, err := metrics.MMD(d1, d2, d, metrics.MMDConfig{Bandwidth: h})
	if err != nil {
		return err
	}
	// The unbiased MMD² of two draws of the same distribution has mean 0 and
	// is negative half the time, so √max(MMD², 0) would often be a floor of 0:
	// we take √|MMD²| of the data-vs-data draws, the size of its sampling noise.
	res.Reports = append(res.Reports, metrics.NewReport("MMD", mv.MMD, math.Sqrt(math.Abs(mf.MMD2))))
	res.Notes["MMD"] = fmt.Sprintf("RBF kernel, bandwidth h = %.4g (median heuristic on the floor's pooled data); value √max(MMD²_u, 0), floor √|MMD²_u| of data vs data", h)
	res.Extra["mmd2"] = finite(mv.MMD2)
	res.Extra["mmd2_floor"] = finite(mf.MMD2)
	res.Extra["mmd_bandwidth"] = h
	return nil
}

// evalImages: with st (a data set that declares a classifier, data.Dataset.Eval),
// its Fréchet distance (MNIST-FD) of the samples (their features' Gaussian,
// from st) against the test images (MNIST's 10,000), floor = the same
// distance of cfg.N random training images (PCG(0, 5), fixed) against the
// same test images; and the NLL bound on the first cfg.NLLExamples test
// images.
func evalImages(backend compute.Backend, m *Model, cfg EvalConfig, st *mnistStream, res *EvalReport) error {
	ds, _ := data.Lookup(m.Config.Data)
	dc := evalData(m, cfg)
	testIm, err := LoadImages(dc, "test")
	if err != nil {
		return err
	}
	test := testIm.ToFloat32(data.ScaleSymmetric)
	if st != nil {
		t0 := time.Now()
		trainIm, err := LoadImages(dc, "train")
		if err != nil {
			return err
		}
		train := trainIm.ToFloat32(data.ScaleSymmetric)
		ev := ds.Eval
		px := trainIm.ImageSize()
		nTrain := len(train) / px
		idx := rand.New(rand.NewPCG(0, 5)).Perm(nTrain)[:min(cfg.N, nTrain)]
		sub := make([]float32, 0, len(idx)*px)
		for _, i := range idx {
			sub = append(sub, train[i*px:(i+1)*px]...)
		}
		lTest, fTest, err := classifier.Infer(backend, st.store, test)
		if err != nil {
			return err
		}
		fTrain, err := classifier.Features(backend, st.store, sub)
		if err != nil {
			return err
		}
		gSamp, err := st.feats.Gaussian()
		if err != nil {
			return err
		}
		gTest, err := metrics.FitGaussian(fTest, classifier.FeatureDim)
		if err != nil {
			return err
		}
		v, err := metrics.FrechetGaussians(gSamp, gTest)
		if err != nil {
			return err
		}
		f, err := classifier.FD(fTrain, fTest)
		if err != nil {
			return err
		}
		res.Reports = append(res.Reports, metrics.NewReport(ev.Metric, v, f))
		// The share the classifier reads as a class (a digit) with confidence
		// ≥ 0.9, for the samples and for the test images (what a perfect model
		// would get).
		cs := float64(st.confident) / float64(st.n)
		ct, err := classifier.ConfidentShare(lTest, ConfidentThreshold)
		if err != nil {
			return err
		}
		res.Extra["confident_share"] = map[string]float64{"threshold": ConfidentThreshold, "samples": cs, "test_digits": ct}
		if st.labelled > 0 {
			acc := float64(st.reads) / float64(st.labelled)
			res.Extra["label_accuracy"] = acc
			fmt.Fprintf(cfg.Log, "ddpm eval: the classifier reads %.1f %% of the samples as the label they were drawn for (w = %g)\n", 100*acc, cfg.Guidance)
		}
		res.Notes[ev.Metric] = fmt.Sprintf("Fréchet distance on the %d penultimate features of our %s classifier (not Inception FID): %d samples vs the %d test images; floor: %d random training images vs the test images",
			classifier.FeatureDim, m.Config.Data, cfg.N, len(test)/px, len(idx))
		res.Extra["classifier"] = map[string]any{"path": cfg.Classifier, "test_accuracy": st.meta.TestAccuracy, "command": st.meta.Command, "backend": st.meta.Backend}
		res.Timings["mnist_fd"] = time.Since(t0).Seconds()
		fmt.Fprintf(cfg.Log, "ddpm eval: %s %.3f (floor %.3f) in %.1fs; read as a %s with confidence ≥ %g: %.1f %% of the samples, %.1f %% of the test images\n",
			ev.Metric, v, f, res.Timings["mnist_fd"], ev.Noun, ConfidentThreshold, 100*cs, 100*ct)
	} else {
		res.Notes[classifier.FDName] = fmt.Sprintf("not computed: %s has no classifier (data sets with one: %s)", m.Config.Data, strings.Join(evaluatedData(), ", "))
	}
	if cfg.NLLExamples == 0 {
		return nil
	}
	t0 := time.Now()
	dims := m.Config.ExampleDims()
	per := 1
	for _, d := range dims {
		per *= d
	}
	k := min(cfg.NLLExamples, len(test)/per)
	if k < cfg.NLLExamples && res.Notes["nll"] == "" {
		res.Notes["nll"] = fmt.Sprintf("the NLL bound uses the %d test images, fewer than the %d asked for (nll_examples)", k, cfg.NLLExamples)
		fmt.Fprintf(cfg.Log, "ddpm eval: note: %s\n", res.Notes["nll"])
	}
	x0 := tensors.FromFlatDataAndDimensions(test[:k*per], append([]int{k}, dims...)...)
	nll, err := ddpm.NLL(backend, m.Store, m.Schedule, m.Net(), m.NLLConfig(cfg.Seed, cfg.NLLStride), x0)
	if err != nil {
		return err
	}
	res.NLL = &NLLJSON{BitsPerDim: nll.Mean, StdErr: nll.StdErr, Examples: k, Stride: cfg.NLLStride, Estimate: cfg.NLLStride > 1,
		Prior: nll.Prior, Decoder: nll.Terms[0]}
	res.Timings["nll"] = time.Since(t0).Seconds()
	fmt.Fprintf(cfg.Log, "ddpm eval: NLL %.4f ± %.4f bits/dim in %.1fs\n", nll.Mean, nll.StdErr, res.Timings["nll"])
	return nil
}

// evalData is the model's configuration with the data folder the
// evaluation reads: cfg.DataDir when given, else the model's when it exists
// on this machine, else (MNIST) the GoMNIST module's copy.
func evalData(m *Model, cfg EvalConfig) Config {
	c := m.Config
	if cfg.DataDir != "" {
		c.DataDir = cfg.DataDir
	} else if _, err := os.Stat(c.DataDir); c.DataDir != "" && err != nil {
		c.DataDir = ""
	}
	return c
}

// EvalPreflight loads, before sampling (minutes to hours), everything that
// [Evaluate] needs after it: the test images, and for a data set with a
// classifier (data.Dataset.Eval: MNIST) the training images and the
// classifier; and checks cfg against the model. A bad
// DataDir or Classifier then fails at once instead of after the samples are
// drawn.
func EvalPreflight(m *Model, cfg EvalConfig) error {
	cfg, err := cfg.WithDefaults(m.Config)
	if err != nil {
		return err
	}
	if err := cfg.checkMemory(m.Config); err != nil {
		return err
	}
	if !m.Config.IsImage() {
		return nil
	}
	dc := evalData(m, cfg)
	ds, _ := data.Lookup(m.Config.Data)
	splits := []string{"test"}
	if ds.Eval != nil {
		splits = append(splits, "train")
	}
	for _, split := range splits {
		if _, err := LoadImages(dc, split); err != nil {
			return err
		}
	}
	if ds.Eval == nil {
		return nil
	}
	if _, _, err := classifier.Load(cfg.Classifier); err != nil {
		return fmt.Errorf("experiment: %s needs the classifier weights (-classifier; go run ./classifier/cmd/trainclassifier writes them): %w", ds.Eval.Metric, err)
	}
	return nil
}

// evaluatedData lists the registered data sets that declare a classifier
// (data.Dataset.Eval), for messages.
func evaluatedData() []string {
	var out []string
	for _, name := range data.ImageNames() {
		if d, _ := data.Lookup(name); d.Eval != nil {
			out = append(out, name)
		}
	}
	return out
}
