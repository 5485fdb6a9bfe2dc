// Package figures makes the README's figures from package code, one
// function per figure, each returning PNG bytes: the CLI ("ddpm figures",
// "make figures"), the notebooks and the tests call the same functions.
//
//	Schedules        schedules.png          ᾱ_t and SNR(t) of the four schedules
//	ForwardMNIST     forward_mnist.png      MNIST test digits noised by Eq. 4 across t
//	PosteriorBayes   posterior_bayes.png    q(x_{t−1}|x_t, x_0): Eq. 7 against Bayes' rule on a grid
//	Langevin         langevin_annealed.png  plain vs annealed Langevin dynamics on a two-mode mixture
//	Samples          samples_<name>.png     samples of a weight file <name>.ddpm
package figures

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/experiment"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Config holds what the figures that run graphs share.
type Config struct {
	Backend compute.Backend
	Quick   bool  // fewer samples and chain steps (for tests); the figures are rougher
	Seed    int64 // random seed of every figure
}

// Figure is one figure of [All]: its file name and the function that draws it.
type Figure struct {
	Name string
	Make func() ([]byte, error)
}

// All lists the README's figures in the order "ddpm figures" writes them:
// the four fixed ones, then samples_<name>.png for each weight file in
// weightFiles (<name>.ddpm).
func (fc Config) All(weightFiles []string) []Figure {
	figs := []Figure{
		{"schedules.png", Schedules},
		{"forward_mnist.png", fc.ForwardMNIST},
		{"posterior_bayes.png", PosteriorBayes},
		{"langevin_annealed.png", fc.Langevin},
	}
	for _, f := range weightFiles {
		name := strings.TrimSuffix(filepath.Base(f), ".ddpm")
		figs = append(figs, Figure{"samples_" + name + ".png", func() ([]byte, error) { return fc.Samples(f) }})
	}
	return figs
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

// ForwardMNIST draws four MNIST test digits (rows) noised with Eq. 4,
// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, at array indices t = 0, 50, 100, 250, 500,
// 999 (columns) of Ho et al.'s linear schedule.
func (fc Config) ForwardMNIST() ([]byte, error) {
	dir, err := data.GoMNISTDir()
	if err != nil {
		return nil, err
	}
	test, _, err := data.LoadMNIST(dir, "test")
	if err != nil {
		return nil, err
	}
	s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{})
	if err != nil {
		return nil, err
	}
	steps := []int32{0, 50, 100, 250, 500, 999}
	const digits, d = 4, 28 * 28
	x0, ts := make([]float32, 0, digits*len(steps)*d), make([]int32, 0, digits*len(steps))
	for i := range digits {
		for _, t := range steps {
			x0 = append(x0, test.Batch([]int{i}, data.ScaleSymmetric)...)
			ts = append(ts, t)
		}
	}
	xt, err := graph.CallOnce(fc.Backend, func(x0, t *graph.Node) *graph.Node {
		_, eps := graph.RandomNormal(graph.RNGStateFromSeedForGraph(x0.Graph(), fc.Seed), x0.Shape())
		return ddpm.QSample(s, x0, t, eps)
	}, tensors.FromFlatDataAndDimensions(x0, len(ts), d), ts)
	if err != nil {
		return nil, err
	}
	return figs.Grid(tensors.MustCopyFlatData[float32](xt), len(ts), 28, 28, 1, len(steps), 3)
}

// PosteriorBayes draws q(x_{t−1}|x_t, x_0) at paper step t = 100 of the
// linear schedule for x_0 = 0.5, x_t = 0.3: Eq. 7's Gaussian against Bayes'
// rule evaluated on a grid (Schedule.BayesPosterior1D), with both curves'
// largest difference in the title.
func PosteriorBayes() ([]byte, error) {
	s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{})
	if err != nil {
		return nil, err
	}
	const t, x0, xt = 99, 0.5, 0.3 // array index 99: paper step 100
	mean, variance := s.Posterior1D(t, x0, xt)
	sd := math.Sqrt(variance)
	grid, err := s.BayesPosterior1D(t, x0, xt, mean-8*sd, mean+8*sd, 2001)
	if err != nil {
		return nil, err
	}
	closed, maxDiff := make([]float64, len(grid.X)), 0.0
	for i, x := range grid.X {
		closed[i] = math.Exp(-(x-mean)*(x-mean)/(2*variance)) / math.Sqrt(2*math.Pi*variance)
		maxDiff = math.Max(maxDiff, math.Abs(closed[i]-grid.Density[i]))
	}
	return figs.Lines(figs.Options{Title: fmt.Sprintf("q(x_{t−1} | x_t = %g, x_0 = %g), t = %d: max |Δ| = %.1e", xt, x0, t+1, maxDiff), XLabel: "x_{t−1}", YLabel: "density"},
		figs.Series{Name: "Bayes' rule on a grid", X: grid.X, Y: grid.Density},
		figs.Series{Name: "closed form (Eq. 7)", X: grid.X, Y: closed})
}

// Langevin draws, side by side, plain Langevin dynamics (δ = 0.1) and
// annealed Langevin dynamics (Song & Ermon 2019: a geometric ladder σ from 10
// to 0.1, ε = 0.2 σ_L²) on Song & Ermon's mixture ⅕ N((−5,−5), I) + ⅘
// N((5,5), I), from the same uniform start points on [−8, 8]², over exact
// samples; the titles give the share of the heavy mode (0.8 for the target).
func (fc Config) Langevin() ([]byte, error) {
	mix := &ddpm.GaussianMixture{Weights: []float64{0.2, 0.8}, Means: [][]float64{{-5, -5}, {5, 5}}, Variances: []float64{1, 1}}
	n, K, levels, perLevel := fc.pick(2000, 500), fc.pick(1000, 100), fc.pick(20, 10), fc.pick(100, 20)
	sigmas := make([]float64, levels)
	for i := range sigmas {
		sigmas[i] = 10 * math.Pow(0.01, float64(i)/float64(levels-1))
	}
	rng := rand.New(rand.NewPCG(uint64(fc.Seed), 8))
	start := make([]float64, 2*n)
	for i := range start {
		start[i] = 16*rng.Float64() - 8
	}
	var exact figs.Series
	for _, p := range mix.Sample(rng, n) {
		exact.X, exact.Y = append(exact.X, p[0]), append(exact.Y, p[1])
	}
	exact.Name = "data"
	state, err := graph.RNGStateFromSeed(fc.Seed)
	if err != nil {
		return nil, err
	}
	x := tensors.FromFlatDataAndDimensions(start, n, 2)
	// One graph per chain, from the same start points and RNG state.
	plain, err := graph.CallOnce(fc.Backend, func(x, rng *graph.Node) *graph.Node {
		_, x = ddpm.LangevinChain(mix.Score, x, rng, 0.1, K)
		return x
	}, x, state)
	if err != nil {
		return nil, err
	}
	annealed, err := graph.CallOnce(fc.Backend, func(x, rng *graph.Node) *graph.Node {
		_, x = ddpm.AnnealedLangevin(mix.ScoreAt(sigmas), x, rng, sigmas, 0.2*0.1*0.1, perLevel)
		return x
	}, x, state)
	if err != nil {
		return nil, err
	}
	panel := func(title string, t *tensors.Tensor) ([]byte, error) {
		pts := tensors.MustCopyFlatData[float64](t)
		s, heavy := figs.Series{Name: "samples"}, 0
		for i := 0; i+1 < len(pts); i += 2 {
			s.X, s.Y = append(s.X, pts[i]), append(s.Y, pts[i+1])
			if pts[i]+pts[i+1] > 0 {
				heavy++
			}
		}
		title = fmt.Sprintf("%s: heavy mode %.2f (target 0.80)", title, float64(heavy)/float64(n))
		return figs.Scatter(figs.Options{Title: title, Width: 420, Height: 420, XMin: -9, XMax: 9, YMin: -9, YMax: 9}, exact, s)
	}
	left, err := panel(fmt.Sprintf("plain, %d steps", K), plain)
	if err != nil {
		return nil, err
	}
	right, err := panel(fmt.Sprintf("annealed, %d×%d steps", levels, perLevel), annealed)
	if err != nil {
		return nil, err
	}
	return sideBySide(left, right)
}

// Samples draws samples of the weight file path with [SamplesPNG]: 2000
// ancestral samples (Algorithm 2) of a 2-D model, 64 DDIM samples (the
// model's defaults, experiment.Config.SampleConfig: 50 steps, x̂_0 clipped to
// [−1, 1]; with η = 1: the setting of the README's MNIST-FD) of an image
// model; fewer, and DDIM with 20 steps for 2-D data and 10 for images, with Quick.
func (fc Config) Samples(path string) ([]byte, error) {
	m, err := experiment.LoadWeights(path)
	if err != nil {
		return nil, err
	}
	cfg, n := m.Config.SampleConfig(ddpm.Ancestral), fc.pick(2000, 500)
	if fc.Quick {
		cfg = m.Config.SampleConfig(ddpm.DDIM)
		cfg.Steps = 20
	}
	if m.Config.IsImage() {
		cfg, n = m.Config.SampleConfig(ddpm.DDIM), fc.pick(64, 16)
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
func SamplesPNG(cfg experiment.Config, x *tensors.Tensor, label string, seed int64) ([]byte, error) {
	flat := tensors.MustCopyFlatData[float32](x)
	dims := x.Shape().Dimensions
	if cfg.IsImage() {
		return figs.Grid(flat, dims[0], dims[1], dims[2], dims[3], 0, 2)
	}
	sampler, err := data.Toy2D(cfg.Data)
	if err != nil {
		return nil, err
	}
	truth := sampler(rand.New(rand.NewPCG(uint64(seed), 99)), dims[0])
	split := func(v []float32) (a, b []float64) {
		for i := 0; i+1 < len(v); i += 2 {
			a, b = append(a, float64(v[i])), append(b, float64(v[i+1]))
		}
		return
	}
	dx, dy := split(truth)
	sx, sy := split(flat)
	return figs.Scatter(figs.Options{Title: fmt.Sprintf("%s: %s samples vs data", cfg.Data, label), Width: 400, Height: 400,
		XMin: -3, XMax: 3, YMin: -3, YMax: 3}, figs.Series{Name: "data", X: dx, Y: dy}, figs.Series{Name: label, X: sx, Y: sy})
}

// sideBySide places PNG images next to each other on a white background,
// top-aligned.
func sideBySide(pngs ...[]byte) ([]byte, error) {
	var imgs []image.Image
	w, h := 0, 0
	for _, b := range pngs {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("decoding a panel: %w", err)
		}
		imgs = append(imgs, img)
		w += img.Bounds().Dx()
		h = max(h, img.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	x := 0
	for _, img := range imgs {
		r := img.Bounds()
		draw.Draw(out, image.Rect(x, 0, x+r.Dx(), r.Dy()), img, r.Min, draw.Over)
		x += r.Dx()
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
