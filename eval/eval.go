package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/metrics"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Prepared is an evaluation whose every input has been read and checked
// ([Prepare]) and whose samples are not drawn yet: [Prepared.Run] runs it.
type Prepared struct {
	m   *trained.Model
	cfg Config // completed (Config.WithDefaults)
	// test and, for a data set with a classifier (data.Dataset.Eval: MNIST),
	// train are the images the metrics and the NLL bound read; classifier
	// and classifierMeta that classifier's weights.
	test, train    *data.Images
	classifier     *model.Store
	classifierMeta *classifier.Meta
}

// Prepare reads, before sampling (minutes to hours), everything that
// [Evaluate] needs after it — the test images, and for a data set with a
// classifier (data.Dataset.Eval: MNIST) the training images and the
// classifier — and checks cfg against the model (completing
// it once, Config.WithDefaults) and this host's memory. A bad DataDir or
// Classifier then fails at once instead of after the samples are drawn,
// and each input is read once per command.
func Prepare(m *trained.Model, cfg Config) (*Prepared, error) {
	if err := m.Usable(); err != nil {
		return nil, err
	}
	cfg, err := cfg.WithDefaults(m)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkMemory(m.Config); err != nil {
		return nil, err
	}
	p := &Prepared{m: m, cfg: cfg}
	if !m.Config.IsImage() {
		return p, nil
	}
	dc := evalData(m, cfg)
	if p.test, err = recipe.LoadImages(dc, "test"); err != nil {
		return nil, err
	}
	ds, _ := data.Lookup(m.Config.Data) // unknown data: the zero Dataset, no evaluator
	if ds.Eval == nil {
		return p, nil
	}
	if p.train, err = recipe.LoadImages(dc, "train"); err != nil {
		return nil, err
	}
	if p.classifier, p.classifierMeta, err = classifier.Load(cfg.Classifier); err != nil {
		return nil, fmt.Errorf("eval: %s needs the classifier weights (Config.Classifier; go run ./classifier/cmd/trainclassifier writes them): %w", ds.Eval.Metric, err)
	}
	return p, nil
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
//
// It is [Prepare] then [Prepared.Run].
func Evaluate(backend compute.Backend, m *trained.Model, cfg Config) (*Report, error) {
	p, err := Prepare(m, cfg)
	if err != nil {
		return nil, err
	}
	return p.Run(backend)
}

// Run samples the prepared evaluation's model and scores the samples (see
// [Evaluate]).
func (p *Prepared) Run(backend compute.Backend) (*Report, error) {
	m, cfg := p.m, p.cfg
	var err error
	res := &Report{Weights: m.Path, Data: m.Config.Data, Model: m.Config.ModelName(), Provenance: m.Provenance,
		N: cfg.N, Sampler: string(cfg.Sample.Kind), Seed: cfg.Seed, Backend: backendpkg.Describe(backend),
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
			fmt.Fprintf(cfg.Log, "note: %s\n", note)
		}
	}
	t0 := time.Now()
	var samples []float32
	var labels []int32
	var st *mnistStream
	if img {
		// Images stream to the metric batch by batch: memory does not grow with N.
		if p.classifier != nil {
			st = newMNISTStream(backend, p.classifier, p.classifierMeta)
		}
		labels, err = streamSamples(backend, m, sc, cfg, st)
	} else {
		samples, labels, err = drawSamples(backend, m, sc, cfg)
	}
	if err != nil {
		return nil, err
	}
	res.Timings["sampling"] = time.Since(t0).Seconds()
	fmt.Fprintf(cfg.Log, "%d samples (%s) in %.1fs\n", cfg.N, cfg.Sample.Kind, res.Timings["sampling"])
	if labels != nil {
		res.Extra["guidance"] = cfg.Guidance
		res.Notes["labels"] = fmt.Sprintf("class-conditional model sampled with the balanced labels 0…%d and guidance w = %g", m.Config.NumClasses-1, cfg.Guidance)
		if !cfg.GuidanceInterval.IsZero() {
			res.Extra["guidance_interval"] = []float64{cfg.GuidanceInterval.Lo, cfg.GuidanceInterval.Hi}
			res.Notes["labels"] += fmt.Sprintf(" at the noise levels %g < σ_t ≤ %g only", cfg.GuidanceInterval.Lo, cfg.GuidanceInterval.Hi)
		}
	}
	if img {
		err = p.evalImages(backend, st, res)
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
// trained.Model.SampleMany in batches of trained.DefaultSampleBatch (one for the usual N;
// batch k from seed cfg.Seed + 2k), with a progress line and the time left
// on cfg.Log after the first batch. A class-conditional model (unless
// cfg.Unconditional) samples each batch with trained.BalancedLabels, which are
// returned, one per sample; otherwise labels is nil. Samples holding a NaN
// or an infinity are an error. (The 2-D metrics sort and pair all the
// samples: they are held, and sized by [Memory].)
func drawSamples(backend compute.Backend, m *trained.Model, sc ddpm.SampleConfig, cfg Config) (out []float32, labels []int32, err error) {
	o := trained.SampleOptions{Batch: trained.DefaultSampleBatch(m.Config), Progress: cfg.Log}
	var g trained.Guidance
	if m.Config.NumClasses > 0 && !cfg.Unconditional {
		g.W, o.Labels = cfg.Guidance, func(_, b int) []int32 {
			l := trained.BalancedLabels(b, m.Config.NumClasses)
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
// trained.BalancedLabels) with trained.Model.SampleEach, and hands each batch to st (nil:
// no metric reads the samples); only a batch is held at a time. It returns
// the labels' first batch as a sign that labels were used (nil otherwise).
func streamSamples(backend compute.Backend, m *trained.Model, sc ddpm.SampleConfig, cfg Config, st *mnistStream) (labelled []int32, err error) {
	o := trained.SampleOptions{Batch: cfg.SampleBatch, Progress: cfg.Log}
	var g trained.Guidance
	var batchLabels []int32
	if m.Config.NumClasses > 0 && !cfg.Unconditional {
		g.W, g.Interval, o.Labels = cfg.Guidance, cfg.GuidanceInterval, func(_, b int) []int32 {
			batchLabels = trained.BalancedLabels(b, m.Config.NumClasses)
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

// eval2D: sliced W₁ and MMD of the samples against cfg.N fresh data points
// (PCG(seed, 3)), each with its floor (two draws of the data, PCG(seed, 1)
// and PCG(seed, 2), see metrics.Floor). The MMD bandwidth is the median
// heuristic on the floor's pooled data, used for both values, so that it
// does not depend on the model.
func eval2D(m *trained.Model, cfg Config, samples []float32, res *Report) error {
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
// images. The images are the ones [Prepare] read.
func (p *Prepared) evalImages(backend compute.Backend, st *mnistStream, res *Report) error {
	m, cfg := p.m, p.cfg
	ds, _ := data.Lookup(m.Config.Data) // st != nil only where Prepare found ds.Eval
	test := p.test.ToFloat32(data.ScaleSymmetric)
	if st != nil {
		t0 := time.Now()
		train := p.train.ToFloat32(data.ScaleSymmetric)
		ev := ds.Eval
		px := p.train.ImageSize()
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
		res.Extra["confident_share"] = map[string]float64{"threshold": ConfidentThreshold, "samples": cs, "test_images": ct}
		if st.labelled > 0 {
			acc := float64(st.reads) / float64(st.labelled)
			res.Extra["label_accuracy"] = acc
			fmt.Fprintf(cfg.Log, "the classifier reads %.1f %% of the samples as the label they were drawn for (w = %g)\n", 100*acc, cfg.Guidance)
		}
		res.Notes[ev.Metric] = fmt.Sprintf("Fréchet distance on the %d penultimate features of our %s classifier (not Inception FID): %d samples vs the %d test images; floor: %d random training images vs the test images",
			classifier.FeatureDim, m.Config.Data, cfg.N, len(test)/px, len(idx))
		res.Extra["classifier"] = map[string]any{"path": cfg.Classifier, "test_accuracy": st.meta.TestAccuracy, "command": st.meta.Command, "backend": st.meta.Backend}
		res.Timings["fd"] = time.Since(t0).Seconds()
		fmt.Fprintf(cfg.Log, "%s %.3f (floor %.3f) in %.1fs; read as a %s with confidence ≥ %g: %.1f %% of the samples, %.1f %% of the test images\n",
			ev.Metric, v, f, res.Timings["fd"], ev.Noun, ConfidentThreshold, 100*cs, 100*ct)
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
		fmt.Fprintf(cfg.Log, "note: %s\n", res.Notes["nll"])
	}
	x0 := tensors.FromFlatDataAndDimensions(test[:k*per], append([]int{k}, dims...)...)
	nll, err := ddpm.NLL(backend, m.Store, m.Schedule, m.Net(), m.NLLConfig(cfg.Seed, cfg.NLLStride), x0)
	if err != nil {
		return err
	}
	res.NLL = &NLLJSON{BitsPerDim: nll.Mean, StdErr: nll.StdErr, Examples: k, Stride: cfg.NLLStride, Estimate: cfg.NLLStride > 1,
		Prior: nll.Prior, Decoder: nll.Terms[0]}
	res.Timings["nll"] = time.Since(t0).Seconds()
	fmt.Fprintf(cfg.Log, "NLL %.4f ± %.4f bits/dim in %.1fs\n", nll.Mean, nll.StdErr, res.Timings["nll"])
	return nil
}

// evalData is the model's configuration with the data folder the
// evaluation reads: cfg.DataDir when given, else the model's when it exists
// on this machine, else (MNIST) the GoMNIST module's copy.
func evalData(m *trained.Model, cfg Config) recipe.Config {
	c := m.Config
	if cfg.DataDir != "" {
		c.DataDir = cfg.DataDir
	} else if _, err := os.Stat(c.DataDir); c.DataDir != "" && err != nil {
		c.DataDir = ""
	}
	return c
}

// evaluatedData lists the registered data sets that declare a classifier
// (data.Dataset.Eval), for messages.
func evaluatedData() []string {
	var out []string
	for _, name := range data.ImageNames() {
		if d, _ := data.Lookup(name); d.Eval != nil { // a registered name: no error
			out = append(out, name)
		}
	}
	return out
}
