package main

import (
	"encoding/json"
	"flag"
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
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/metrics"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// evalOptions are the flags of "ddpm eval".
type evalOptions struct {
	weights, sampler, classifier, dataDir string
	n, steps, nllExamples, nllStride      int
	sampleBatch                           int
	eta                                   float64
	seed                                  int64
	json                                  bool
}

// evalResult is what "ddpm eval -json" prints: one JSON object.
type evalResult struct {
	Weights    string                `json:"weights"`
	Data       string                `json:"data"`
	Model      string                `json:"model"`
	Provenance experiment.Provenance `json:"provenance"` // of the weights
	N          int                   `json:"n"`
	Sampler    string                `json:"sampler"`
	Steps      int                   `json:"steps,omitempty"` // DDIM's S
	Eta        float64               `json:"eta,omitempty"`
	Seed       int64                 `json:"seed"`
	Backend    string                `json:"backend"`
	Metrics    []metricJSON          `json:"metrics"`
	NLL        *nllJSON              `json:"nll,omitempty"`
	Notes      map[string]string     `json:"notes,omitempty"`
	Extra      map[string]any        `json:"extra,omitempty"`
	Timings    map[string]float64    `json:"timings_seconds"`

	raw []metrics.Report // the metrics, for the text table
}

// metricJSON is a metrics.Report with non-finite numbers as null (JSON has no NaN).
type metricJSON struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value"`
	Floor *float64 `json:"floor"`
	Ratio *float64 `json:"ratio"`
}

type nllJSON struct {
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

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var o evalOptions
	fs.StringVar(&o.weights, "weights", "", "weight file (weights.ddpm of a training run)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of a table")
	fs.IntVar(&o.n, "n", 0, "number of samples (default 2000 for 2-D data, 10000 for MNIST)")
	fs.StringVar(&o.sampler, "sampler", "ancestral", "sampler: ancestral (Algorithm 2, T steps) or ddim")
	fs.IntVar(&o.steps, "steps", 0, "DDIM steps S (default 50)")
	fs.Float64Var(&o.eta, "eta", 0, "DDIM η in [0, 1]")
	fs.Int64Var(&o.seed, "seed", 1, "random seed of the samples, the fresh data points and the NLL noise")
	fs.IntVar(&o.nllExamples, "nll-examples", 64, "images: number of test digits (the first ones) for the NLL bound; 0 skips it")
	fs.IntVar(&o.nllStride, "nll-stride", 1, "images: evaluate one L_{t−1} term in each block of k consecutive t, weighted by k (a stratified estimate; 1 = the full bound)")
	fs.IntVar(&o.sampleBatch, "sample-batch", 1000, "images: samples drawn per compiled call (bounds memory)")
	fs.StringVar(&o.classifier, "classifier", classifier.DefaultPath(), "MNIST classifier weights for MNIST-FD")
	fs.StringVar(&o.dataDir, "data-dir", "", "folder of the MNIST IDX files (default: the GoMNIST module's copy)")
	if code, ok := parseFlags(fs,
		"usage: ddpm eval -weights FILE [flags]: sample-based metrics with their floors (and the NLL bound for images)\n"+
			"  2-D data: sliced W1 and MMD of -n samples vs -n fresh data points; floor: the same between two draws of the data\n"+
			"  MNIST:    MNIST-FD (Fréchet distance on features of our MNIST classifier, not Inception FID) of -n samples vs\n"+
			"            the 10,000 test images; floor: -n random training images vs the test images; NLL in bits/dim", args, stderr); !ok {
		return code
	}
	if err := checkSampleFlags(fs, o.sampler); err != nil {
		return fail(stderr, "eval", err, 2)
	}
	switch {
	case o.weights == "":
		fmt.Fprintln(stderr, "ddpm eval: -weights is required (a weights.ddpm written by ddpm train)")
		return 2
	case o.sampler != string(ddpm.Ancestral) && o.sampler != string(ddpm.DDIM):
		fmt.Fprintf(stderr, "ddpm eval: -sampler %q: use ancestral or ddim\n", o.sampler)
		return 2
	case o.n < 0 || o.n == 1:
		fmt.Fprintf(stderr, "ddpm eval: -n %d must be ≥ 2\n", o.n)
		return 2
	case o.steps < 0 || o.nllExamples < 0 || o.nllStride < 1 || o.sampleBatch < 1:
		fmt.Fprintf(stderr, "ddpm eval: want -steps ≥ 0, -nll-examples ≥ 0, -nll-stride ≥ 1, -sample-batch ≥ 1; got %d, %d, %d, %d\n", o.steps, o.nllExamples, o.nllStride, o.sampleBatch)
		return 2
	case !(o.eta >= 0 && o.eta <= 1): // NaN too
		fmt.Fprintf(stderr, "ddpm eval: -eta %g must be in [0, 1]\n", o.eta)
		return 2
	}
	m, err := experiment.LoadWeights(o.weights)
	if err != nil {
		fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
		return 1
	}
	if err := evalPreflight(m, o); err != nil {
		return fail(stderr, "eval", err, 1)
	}
	if o.n == 0 {
		o.n = map[bool]int{true: 10000, false: 2000}[m.Config.IsImage()]
	}
	backend, err := ddpm.Backend()
	if err != nil {
		fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
		return 1
	}
	res, err := evaluate(backend, m, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
		return 1
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "ddpm eval: %v\n", err)
			return 1
		}
		return 0
	}
	printEvalTable(stdout, res)
	return 0
}

// evaluate computes the metrics of model m; progress lines go to logw.
func evaluate(backend compute.Backend, m *experiment.Model, o evalOptions, logw io.Writer) (*evalResult, error) {
	res := &evalResult{Weights: o.weights, Data: m.Config.Data, Model: m.Config.Model, Provenance: m.Provenance,
		N: o.n, Sampler: o.sampler, Seed: o.seed, Backend: ddpm.DescribeBackend(backend),
		Notes: map[string]string{}, Extra: map[string]any{}, Timings: map[string]float64{}}
	cfg := ddpm.SampleConfig{Kind: ddpm.SamplerKind(o.sampler), Steps: o.steps, Eta: o.eta}
	if cfg.Kind == ddpm.DDIM {
		res.Steps, res.Eta = o.steps, o.eta
		if res.Steps == 0 {
			res.Steps = 50
		}
	}
	img := m.Config.IsImage()
	if img {
		cfg.ClipX0 = 1 // as "ddpm sample" does for images (Ho et al.'s code clips x̂_0 to [−1, 1])
	}
	t0 := time.Now()
	samples, err := drawSamples(backend, m, cfg, o, img)
	if err != nil {
		return nil, err
	}
	res.Timings["sampling"] = time.Since(t0).Seconds()
	fmt.Fprintf(logw, "ddpm eval: %d samples (%s) in %.1fs\n", o.n, o.sampler, res.Timings["sampling"])
	if img {
		err = evalImages(backend, m, o, samples, res, logw)
	} else {
		err = eval2D(m, o, samples, res)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range res.raw {
		res.Metrics = append(res.Metrics, metricJSON{Name: r.Name, Value: finite(r.Value), Floor: finite(r.Floor), Ratio: finite(r.Ratio)})
	}
	return res, nil
}

// drawSamples draws o.n samples, flattened [n, …]; images in chunks of
// o.sampleBatch (chunk k from seed o.seed + 2k: SampleNoise uses its seed for
// x_T and seed+1 for the chain).
func drawSamples(backend compute.Backend, m *experiment.Model, cfg ddpm.SampleConfig, o evalOptions, img bool) ([]float32, error) {
	sm, err := m.Sampler(backend, cfg)
	if err != nil {
		return nil, err
	}
	chunk := o.n
	if img {
		chunk = min(o.n, o.sampleBatch)
	}
	dims := m.Config.ExampleDims()
	var out []float32
	for k, done := 0, 0; done < o.n; k++ {
		b := min(chunk, o.n-done)
		x, _, err := sm.SampleNoise(backend, append([]int{b}, dims...), o.seed+2*int64(k))
		if err != nil {
			return nil, err
		}
		out = append(out, tensors.MustCopyFlatData[float32](x)...)
		done += b
	}
	return out, nil
}

// eval2D: sliced W₁ and MMD of the samples against o.n fresh data points
// (PCG(seed, 3)), each with its floor (two draws of the data, PCG(seed, 1)
// and PCG(seed, 2), see metrics.Floor). The MMD bandwidth is the median
// heuristic on the floor's pooled data, used for both values, so that it
// does not depend on the model.
func eval2D(m *experiment.Model, o evalOptions, samples []float32, res *evalResult) error {
	sampler, err := data.Toy2D(m.Config.Data)
	if err != nil {
		return err
	}
	d := 2
	seed := uint64(o.seed)
	fresh := sampler(rand.New(rand.NewPCG(seed, 3)), o.n)
	sw := func(a, b []float32) (float64, error) { return metrics.SlicedW1(a, b, d, metrics.SlicedConfig{}) }
	v, err := sw(samples, fresh)
	if err != nil {
		return err
	}
	f, err := metrics.Floor(sw, metrics.Sampler(sampler), o.n, seed)
	if err != nil {
		return err
	}
	res.raw = append(res.raw, metrics.NewReport("sliced-W1", v, f))
	res.Notes["sliced-W1"] = "sliced Wasserstein-1, 256 random directions (seed 0), exact 1-D W1 by sorting"

	d1 := sampler(rand.New(rand.NewPCG(seed, 1)), o.n)
	d2 := sampler(rand.New(rand.NewPCG(seed, 2)), o.n)
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
	res.raw = append(res.raw, metrics.NewReport("MMD", mv.MMD, math.Sqrt(math.Abs(mf.MMD2))))
	res.Notes["MMD"] = fmt.Sprintf("RBF kernel, bandwidth h = %.4g (median heuristic on the floor's pooled data); value √max(MMD²_u, 0), floor √|MMD²_u| of data vs data", h)
	res.Extra["mmd2"] = finite(mv.MMD2)
	res.Extra["mmd2_floor"] = finite(mf.MMD2)
	res.Extra["mmd_bandwidth"] = h
	return nil
}

// evalImages: MNIST-FD of the samples against the 10,000 MNIST test images,
// floor = MNIST-FD of o.n random training images (PCG(0, 5), fixed) against
// the same test images; and the NLL bound on the first o.nllExamples test
// digits.
func evalImages(backend compute.Backend, m *experiment.Model, o evalOptions, samples []float32, res *evalResult, logw io.Writer) error {
	dir := o.dataDir
	if dir == "" && m.Config.Data == experiment.MNIST {
		if _, err := os.Stat(m.Config.DataDir); m.Config.DataDir != "" && err == nil {
			dir = m.Config.DataDir
		}
	}
	var test []float32
	var err error
	if m.Config.Data == experiment.MNIST {
		if test, _, err = classifier.MNIST(dir, "test"); err != nil {
			return err
		}
	} else {
		cfg := m.Config
		if o.dataDir != "" {
			cfg.DataDir = o.dataDir
		}
		im, err := experiment.LoadImages(cfg, "test")
		if err != nil {
			return err
		}
		test = im.ToFloat32(data.ScaleSymmetric)
	}
	if m.Config.Data == experiment.MNIST {
		t0 := time.Now()
		store, meta, err := classifier.Load(o.classifier)
		if err != nil {
			return fmt.Errorf("MNIST-FD needs the classifier weights (go run ./classifier/cmd/trainclassifier): %w", err)
		}
		train, _, err := classifier.MNIST(dir, "train")
		if err != nil {
			return err
		}
		const px = classifier.ImageSize * classifier.ImageSize
		nTrain := len(train) / px
		idx := rand.New(rand.NewPCG(0, 5)).Perm(nTrain)[:min(o.n, nTrain)]
		sub := make([]float32, 0, len(idx)*px)
		for _, i := range idx {
			sub = append(sub, train[i*px:(i+1)*px]...)
		}
		fTest, err := classifier.Features(backend, store, test)
		if err != nil {
			return err
		}
		fTrain, err := classifier.Features(backend, store, sub)
		if err != nil {
			return err
		}
		fSamp, err := classifier.Features(backend, store, samples)
		if err != nil {
			return err
		}
		v, err := metrics.FrechetDistance(fSamp, fTest, classifier.FeatureDim)
		if err != nil {
			return err
		}
		f, err := metrics.FrechetDistance(fTrain, fTest, classifier.FeatureDim)
		if err != nil {
			return err
		}
		res.raw = append(res.raw, metrics.NewReport(metrics.MNISTFDName, v, f))
		res.Notes[metrics.MNISTFDName] = fmt.Sprintf("Fréchet distance on the %d penultimate features of our MNIST classifier (not Inception FID): %d samples vs the %d test images; floor: %d random training images vs the test images",
			classifier.FeatureDim, o.n, len(test)/px, len(idx))
		res.Extra["classifier"] = map[string]any{"path": o.classifier, "test_accuracy": meta.TestAccuracy, "command": meta.Command, "backend": meta.Backend}
		res.Timings["mnist_fd"] = time.Since(t0).Seconds()
		fmt.Fprintf(logw, "ddpm eval: MNIST-FD %.3f (floor %.3f) in %.1fs\n", v, f, res.Timings["mnist_fd"])
	} else {
		res.Notes["MNIST-FD"] = "not computed: the classifier is for MNIST only"
	}
	if o.nllExamples == 0 {
		return nil
	}
	t0 := time.Now()
	dims := m.Config.ExampleDims()
	per := 1
	for _, d := range dims {
		per *= d
	}
	k := min(o.nllExamples, len(test)/per)
	x0 := tensors.FromFlatDataAndDimensions(test[:k*per], append([]int{k}, dims...)...)
	pred, _ := ddpm.ParsePrediction(m.Config.Prediction)
	nll, err := metrics.NLLStrided(backend, m.Store, m.Schedule, m.Net(), ddpm.NLLConfig{Prediction: pred, Seed: o.seed}, x0, o.nllStride)
	if err != nil {
		return err
	}
	res.NLL = &nllJSON{BitsPerDim: nll.Mean, StdErr: nll.StdErr, Examples: k, Stride: o.nllStride, Estimate: o.nllStride > 1,
		Prior: nll.Prior, Decoder: nll.Terms[0]}
	res.Timings["nll"] = time.Since(t0).Seconds()
	fmt.Fprintf(logw, "ddpm eval: NLL %.4f ± %.4f bits/dim in %.1fs\n", nll.Mean, nll.StdErr, res.Timings["nll"])
	return nil
}

func printEvalTable(w io.Writer, r *evalResult) {
	p := r.Provenance
	fmt.Fprintf(w, "weights  %s (%s, %s, %d steps on %s)\n", r.Weights, r.Data, r.Model, p.Steps, p.Backend)
	s := r.Sampler
	if r.Steps > 0 {
		s += fmt.Sprintf(" S=%d η=%g", r.Steps, r.Eta)
	}
	fmt.Fprintf(w, "samples  %d, %s, seed %d, on %s\n\n", r.N, s, r.Seed, r.Backend)
	if len(r.raw) > 0 {
		fmt.Fprintf(w, "%-12s %12s %12s %8s\n", "metric", "value", "floor", "ratio")
		for _, m := range r.raw {
			fmt.Fprintf(w, "%-12s %12.5g %12.5g %8.3g\n", m.Name, m.Value, m.Floor, m.Ratio)
		}
	}
	if r.NLL != nil {
		kind := "full bound, all T terms"
		if r.NLL.Estimate {
			kind = fmt.Sprintf("estimate: one term in %d, stratified", r.NLL.Stride)
		}
		fmt.Fprintf(w, "%-12s %12.5g ± %.3g bits/dim (%d test images; %s)\n", "NLL", r.NLL.BitsPerDim, r.NLL.StdErr, r.NLL.Examples, kind)
	}
	names := make([]string, 0, len(r.Notes))
	for k := range r.Notes {
		names = append(names, k)
	}
	if len(names) > 0 {
		fmt.Fprintln(w)
	}
	for _, m := range r.raw {
		if n, ok := r.Notes[m.Name]; ok {
			fmt.Fprintf(w, "%s: %s\n", m.Name, n)
		}
	}
	if n, ok := r.Notes["MNIST-FD"]; ok && !strings.Contains(fmt.Sprint(r.raw), "MNIST-FD") {
		fmt.Fprintf(w, "MNIST-FD: %s\n", n)
	}
}

func init() {
	commands["eval"] = command{"sample-based metrics with their floors (sliced W1, MMD; MNIST-FD, NLL bound for MNIST)", runEval}
}
