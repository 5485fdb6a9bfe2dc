// Package figures makes the figures of docs/results.md from package code, one
// function per figure, each returning PNG bytes: the CLI ("ddpm figures",
// "make figures"), the notebooks and the tests call the same functions.
//
//	Schedules        schedules.png          ᾱ_t and SNR(t) of the four schedules
//	ForwardMNIST     forward_mnist.png      MNIST test digits noised by Eq. 4 across t
//	PosteriorBayes   posterior_bayes.png    q(x_{t−1}|x_t, x_0): Eq. 7 against Bayes' rule on a grid
//	Langevin         langevin_annealed.png  plain vs annealed Langevin dynamics on a two-mode mixture
//	Samples          samples_<name>.png     samples of a weight file <name>.ddpm
//	Guidance         guidance_<name>.png    guided samples of a class-conditional <name>.ddpm, per label and w
//
// The notebooks' own pictures come from here too, with the numbers they
// print: [NewPosterior] (03's derivation and knobs), [Config.NewForwardView]
// (01's slider over t), [Config.LangevinChains] and [Config.CompareLangevin]
// (02), [NewChain] (a chain slider over the snapshots of a sampler).
package figures

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Config holds what the figures that run graphs share.
type Config struct {
	Backend compute.Backend
	// Quick draws fewer samples and chain steps (for tests); the figures
	// are rougher.
	Quick bool `flag:"quick" usage:"fewer samples and chain steps (for tests); the figures are rougher"`
	// Seed is the random seed of every figure.
	Seed int64 `flag:"seed" usage:"random seed of every figure"`
}

// Figure is one figure of [Config.All]: its file name and the function that draws it.
type Figure struct {
	Name string
	Make func() ([]byte, error)
}

// WeightFiles lists the weight files (*.ddpm, sorted) of the folder dir, for
// [Config.All]. A missing dir is an error when required, else no files.
func WeightFiles(dir string, required bool) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil && !required {
		return nil, nil
	}
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("figures: %s is not a folder of weight files", dir)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ddpm"))
	sort.Strings(files)
	return files, err
}

// All lists those figures in the order "ddpm figures" writes them:
// the four fixed ones, then samples_<name>.png for each weight file in
// weightFiles (<name>.ddpm), and guidance_<name>.png for a class-conditional
// image model; a weight file that does not load is an error.
func (fc Config) All(weightFiles []string) ([]Figure, error) {
	figs := []Figure{
		{"schedules.png", Schedules},
		{"forward_mnist.png", fc.ForwardMNIST},
		{"posterior_bayes.png", PosteriorBayes},
		{"langevin_annealed.png", fc.Langevin},
	}
	for _, f := range weightFiles {
		name := strings.TrimSuffix(filepath.Base(f), ".ddpm")
		figs = append(figs, Figure{"samples_" + name + ".png", func() ([]byte, error) { return fc.Samples(f) }})
		m, err := trained.Load(f)
		if err != nil {
			return nil, err
		}
		if m.Config.NumClasses > 0 && m.Config.IsImage() {
			figs = append(figs, Figure{"guidance_" + name + ".png", func() ([]byte, error) { return fc.Guidance(f, GuidanceWeights) }})
		}
	}
	return figs, nil
}

// pick returns quick when the figures are made with -quick, else full.
func (fc Config) pick(full, quick int) int {
	if fc.Quick {
		return quick
	}
	return full
}

// Schedules draws ᾱ_t (left) and SNR(t) = ᾱ_t/(1−ᾱ_t) on a log axis
// (right) of the four schedules of ddpm.ScheduleKinds, T = 1000.
func Schedules() ([]byte, error) {
	var ab, snr []figs.Series
	for _, kind := range ddpm.ScheduleKinds {
		s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{Kind: kind})
		if err != nil {
			return nil, err
		}
		x := make([]float64, s.T)
		for i := range x {
			x[i] = float64(i + 1) // paper step t = index + 1
		}
		ab = append(ab, figs.Series{Name: string(kind), X: x, Y: s.AlphasBar})
		snr = append(snr, figs.Series{Name: string(kind), X: x, Y: s.SNR})
	}
	left, err := figs.Lines(figs.Options{Title: "ᾱ_t", XLabel: "paper step t", YLabel: "ᾱ_t"}, ab...)
	if err != nil {
		return nil, err
	}
	right, err := figs.Lines(figs.Options{Title: "SNR(t) = ᾱ_t / (1 − ᾱ_t)", XLabel: "paper step t", YLabel: "SNR", LogY: true}, snr...)
	if err != nil {
		return nil, err
	}
	return sideBySide(left, right)
}

// ForwardSteps are the array indices of [Config.ForwardMNIST]'s columns
// (paper steps 1, 51, 101, 251, 501, 1000).
var ForwardSteps = []int32{0, 50, 100, 250, 500, 999}

// mnistTest reads the MNIST test digits of the GoMNIST module's copy.
func mnistTest() (*data.Images, error) {
	test, _, err := data.LoadMNIST("", "test")
	return test, err
}

// ForwardMNIST draws four MNIST test digits (rows) noised with Eq. 4,
// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, at the array indices ForwardSteps (columns)
// of Ho et al.'s linear schedule.
func (fc Config) ForwardMNIST() ([]byte, error) {
	test, err := mnistTest()
	if err != nil {
		return nil, err
	}
	s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{})
	if err != nil {
		return nil, err
	}
	steps := ForwardSteps
	const digits, d = 4, 28 * 28
	x0, ts := make([]float32, 0, digits*len(steps)*d), make([]int32, 0, digits*len(steps))
	for i := range digits {
		for _, t := range steps {
			x0 = append(x0, test.Batch([]int{i}, data.ScaleSymmetric)...)
			ts = append(ts, t)
		}
	}
	xt, err := graph.CallOnce(fc.Backend, func(x0, t *graph.Node) *graph.Node {
		_, eps := gomlxfix.RandomNormal(graph.RNGStateFromSeedForGraph(x0.Graph(), fc.Seed), x0.Shape())
		return ddpm.QSample(s, x0, t, eps)
	}, tensors.FromFlatDataAndDimensions(x0, len(ts), d), ts)
	if err != nil {
		return nil, err
	}
	return figs.Grid(tensors.MustCopyFlatData[float32](xt), len(ts), 28, 28, 1, len(steps), 3)
}

// Samples draws samples of the weight file path with [SamplesPNG]: 2000
// ancestral samples (Algorithm 2) of a 2-D model, 64 DDIM samples (the
// model's defaults, trained.Model.SampleConfig: 50 steps, x̂_0 clipped to
// [−1, 1]; with η = 1: the setting of docs/results.md's MNIST-FD) of an image
// model; fewer, and DDIM with 20 steps for 2-D data and 10 for images, with Quick.
func (fc Config) Samples(path string) ([]byte, error) {
	m, err := trained.Load(path)
	if err != nil {
		return nil, err
	}
	cfg, n := m.SampleConfig(ddpm.Ancestral), fc.pick(2000, 500)
	if fc.Quick {
		cfg = m.SampleConfig(ddpm.DDIM)
		cfg.Steps = 20
	}
	if m.Config.IsImage() {
		cfg, n = m.SampleConfig(ddpm.DDIM), fc.pick(64, 16)
		cfg.Eta = 1
		if fc.Quick {
			cfg.Steps = 10
		}
	}
	x, _, err := m.Sample(fc.Backend, cfg, n, fc.Seed)
	if err != nil {
		return nil, err
	}
	return SamplesPNG(m.Config, x, string(cfg.Kind), fc.Seed)
}

// SamplesPNG draws samples: a grid for images, a scatter over as many data
// points for 2-D data.
// x must be [n, …] with cfg's example dimensions (Config.ExampleDims) and
// n ≥ 1, as Model.Sample returns them.
func SamplesPNG(cfg recipe.Config, x *tensors.Tensor, label string, seed int64) ([]byte, error) {
	if x == nil {
		return nil, fmt.Errorf("figures: no samples (a nil tensor)")
	}
	want := cfg.ExampleDims()
	dims := x.Shape().Dimensions
	if len(dims) != len(want)+1 || dims[0] < 1 || !slices.Equal(dims[1:], want) || x.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("figures: samples of %q must be float32 [n, …] with n ≥ 1 and example dimensions %v (as Model.Sample returns them), got %s", cfg.Data, want, x.Shape())
	}
	flat := tensors.MustCopyFlatData[float32](x)
	if cfg.IsImage() {
		return figs.Grid(flat, dims[0], dims[1], dims[2], dims[3], 0, 2)
	}
	sampler, err := data.Toy2D(cfg.Data)
	if err != nil {
		return nil, err
	}
	truth := sampler(rand.New(rand.NewPCG(uint64(seed), 99)), dims[0])
	return figs.Scatter(figs.Options{Title: fmt.Sprintf("%s: %s samples vs data", cfg.Data, label), Width: 400, Height: 400,
		XMin: -3, XMax: 3, YMin: -3, YMax: 3}, figs.XY("data", truth), figs.XY(label, flat))
}

// sideBySide is figs.SideBySide.
func sideBySide(pngs ...[]byte) ([]byte, error) { return figs.SideBySide(pngs...) }
