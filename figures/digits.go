package figures

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/eval"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// DigitsView draws a class-conditional MNIST model's samples for a
// requested digit and guidance weight w, and reads them back with the
// in-repo classifier: notebook 05's knobs ("digits on demand"). Each
// (digit, w) is sampled from the same seed, so moving w changes the
// guidance, not the noise; compiled samplers are kept for the values seen.
type DigitsView struct {
	Model   *trained.Model
	Sampler ddpm.SampleConfig // the model's DDIM by default (see [Config.NewDigitsView])
	N       int               // samples per grid
	backend compute.Backend
	seed    int64
	clf     *model.Store
	cache   map[digitsKey]*ddpm.Sampler
}

type digitsKey struct {
	digit int
	w     float64
}

// DigitsReading is what the classifier reads in one grid.
type DigitsReading struct {
	Digit     int     // the requested digit; −1: the labels 0…9 in turn
	W         float64 // the guidance weight
	N         int     // samples
	Requested float64 // share whose most likely class is the label asked for (classifier.LabelAccuracy)
	Confident float64 // share read as some digit with confidence ≥ eval.ConfidentThreshold
}

// String is one line for the notebook.
func (r DigitsReading) String() string {
	what := fmt.Sprintf("digit %d", r.Digit)
	if r.Digit < 0 {
		what = "digits 0…9 in turn (column j: j)"
	}
	return fmt.Sprintf("%s, w = %g: %.0f %% of the %d samples read as the digit asked for, %.0f %% as a digit at all (confidence ≥ %g)",
		what, r.W, 100*r.Requested, r.N, 100*r.Confident, eval.ConfidentThreshold)
}

// NewDigitsView prepares a [DigitsView] of the class-conditional MNIST
// weight file path: n samples per grid (at least 10), DDIM with 50 steps
// and η = 1 (the protocol of docs/cpu.md; 5 steps when fc.Quick), the classifier
// of classifierPath ("" for classifier.DefaultPath()).
func (fc Config) NewDigitsView(path, classifierPath string, n int) (*DigitsView, error) {
	m, err := trained.Load(path)
	if err != nil {
		return nil, err
	}
	if m.Config.NumClasses != classifier.Classes || !m.Config.IsImage() {
		return nil, fmt.Errorf("figures: %s is not a class-conditional MNIST model (%d classes): train one with the recipe mnist-cpu", path, m.Config.NumClasses)
	}
	if n < classifier.Classes {
		return nil, fmt.Errorf("figures: %d samples per grid: want at least %d (one per digit)", n, classifier.Classes)
	}
	if classifierPath == "" {
		classifierPath = classifier.DefaultPath()
	}
	clf, _, err := classifier.Load(classifierPath)
	if err != nil {
		return nil, err
	}
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Eta = 1
	if fc.Quick {
		sc.Steps = 5
	}
	return &DigitsView{Model: m, Sampler: sc, N: n, backend: fc.Backend, seed: fc.Seed, clf: clf, cache: map[digitsKey]*ddpm.Sampler{}}, nil
}

// At draws v.N samples of digit (0…9, or −1 for the labels 0…9 in turn)
// guided with weight w, and returns their grid (rows of 10 for −1, else of
// 8) and what the classifier reads in them.
func (v *DigitsView) At(digit int, w float64) ([]byte, DigitsReading, error) {
	r := DigitsReading{Digit: digit, W: w, N: v.N}
	if digit < -1 || digit >= classifier.Classes {
		return nil, r, fmt.Errorf("figures: digit %d: want 0…9, or −1 for all ten", digit)
	}
	labels := trained.BalancedLabels(v.N, classifier.Classes)
	if digit >= 0 {
		for i := range labels {
			labels[i] = int32(digit)
		}
	}
	key := digitsKey{digit, w}
	sm, ok := v.cache[key]
	if !ok {
		var err error
		if sm, err = v.Model.GuidedSampler(v.backend, v.Sampler, trained.Guidance{Labels: labels, W: w, Interval: v.Model.CompleteGuidance(trained.GuidanceOptions{W: w}, true, false).Interval}); err != nil {
			return nil, r, err
		}
		v.cache[key] = sm
	}
	x, _, err := sm.SampleNoise(v.backend, append([]int{v.N}, v.Model.Config.ExampleDims()...), v.seed)
	if err != nil {
		return nil, r, err
	}
	flat := tensors.MustCopyFlatData[float32](x)
	logits, _, err := classifier.Infer(v.backend, v.clf, flat)
	if err != nil {
		return nil, r, err
	}
	if r.Requested, err = classifier.LabelAccuracy(logits, labels); err != nil {
		return nil, r, err
	}
	if r.Confident, err = classifier.ConfidentShare(logits, eval.ConfidentThreshold); err != nil {
		return nil, r, err
	}
	cols := 8
	if digit < 0 {
		cols = classifier.Classes
	}
	png, err := figs.Grid(flat, v.N, classifier.ImageSize, classifier.ImageSize, 1, cols, 2)
	return png, r, err
}
