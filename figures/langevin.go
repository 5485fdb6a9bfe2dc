package figures

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TwoModes is the target of the Langevin figures and of 02_langevin.ipynb,
// Song & Ermon's (2019, §3.2) mixture ⅕ N((−5,−5), I) + ⅘ N((5,5), I).
func TwoModes() *ddpm.GaussianMixture {
	return &ddpm.GaussianMixture{Weights: []float64{0.2, 0.8}, Means: [][]float64{{-5, -5}, {5, 5}}, Variances: []float64{1, 1}}
}

// UniformStart draws n points uniformly on [−8, 8]² (Song & Ermon's
// initialisation), a float64 tensor [n, 2].
func UniformStart(n int, seed uint64) *tensors.Tensor {
	rng, x := rand.New(rand.NewPCG(seed, 1)), make([]float64, 2*n)
	for i := range x {
		x[i] = 16*rng.Float64() - 8
	}
	return tensors.FromFlatDataAndDimensions(x, n, 2)
}

// HeavyMode returns the share of the points x [n, 2] (float64) in TwoModes'
// heavy mode (x₁ + x₂ > 0; 0.8 for the target) and the mean (5) and
// variance (1) of x₁ over those points (NaN when there is none).
func HeavyMode(x *tensors.Tensor) (share, mean, variance float64) {
	pts := tensors.MustCopyFlatData[float64](x)
	var n, s, s2 float64
	for i := 0; i+1 < len(pts); i += 2 {
		if pts[i]+pts[i+1] > 0 {
			n, s, s2 = n+1, s+pts[i], s2+pts[i]*pts[i]
		}
	}
	if n == 0 {
		return 0, math.NaN(), math.NaN()
	}
	return 2 * n / float64(len(pts)), s / n, s2/n - (s/n)*(s/n)
}

// StationaryVariance is the variance v/(1 − δ/4v) that plain Langevin
// dynamics of step δ keeps on a Gaussian of variance v (the chain is an
// autoregressive process), for 0 < δ < 4v; +Inf from δ = 4v on, where the
// chain diverges.
func StationaryVariance(v, delta float64) float64 {
	if delta >= 4*v {
		return math.Inf(1)
	}
	return v / (1 - delta/(4*v))
}

// LangevinExec compiles K steps of plain Langevin dynamics of step δ on
// TwoModes, (x, rng) → (x, rng), to be called repeatedly.
func LangevinExec(backend compute.Backend, delta float64, K int) (*graph.Exec, error) {
	mix := TwoModes()
	return graph.NewExec(backend, func(x, rng *graph.Node) []*graph.Node {
		rng, x = ddpm.LangevinChain(mix.Score, x, rng, delta, K)
		return []*graph.Node{x, rng}
	})
}

// LangevinRun is plain Langevin dynamics on TwoModes for one step size δ
// and number of steps K, from UniformStart: what [Config.LangevinChains]
// draws and 02_langevin.ipynb's knobs redraw.
type LangevinRun struct {
	Delta float64
	K     int
	N     int // chains

	Share, Mean, Variance float64 // HeavyMode of the N chains after K steps
	Limit                 float64 // StationaryVariance(1, δ): what Variance tends to
	PNG                   []byte  // six chains' paths (left), the N end points over exact samples (right)
}

// LangevinChains runs n chains (fewer with Quick) of K Langevin steps of
// size δ (0 < δ < 4, 1 ≤ K ≤ 100,000) on TwoModes from UniformStart, keeps
// the paths of the first six (at most 50 points each), and draws them next
// to the n end points.
func (fc Config) LangevinChains(delta float64, K, n int) (*LangevinRun, error) {
	if !(delta > 0 && delta < 4) || K < 1 || K > 100_000 || n < 6 {
		return nil, fmt.Errorf("figures: Langevin chains with δ=%g, K=%d, n=%d: want 0 < δ < 4, 1 ≤ K ≤ 100000, n ≥ 6", delta, K, n)
	}
	n = fc.pick(n, min(n, 500))
	// K steps in m calls of about K/m steps: at most two chain lengths to compile.
	m := min(K, 50)
	execs := map[int]*graph.Exec{}
	x := UniformStart(n, uint64(fc.Seed))
	rng, err := graph.RNGStateFromSeed(fc.Seed)
	if err != nil {
		return nil, err
	}
	paths := make([]figs.Series, 6)
	record := func(x *tensors.Tensor) {
		pts := tensors.MustCopyFlatData[float64](x)
		for c := range paths {
			paths[c].X, paths[c].Y = append(paths[c].X, pts[2*c]), append(paths[c].Y, pts[2*c+1])
		}
	}
	record(x)
	for j := range m {
		k := (j+1)*K/m - j*K/m
		if execs[k] == nil {
			if execs[k], err = LangevinExec(fc.Backend, delta, k); err != nil {
				return nil, err
			}
		}
		out, err := execs[k].Call(x, rng)
		if err != nil {
			return nil, err
		}
		x, rng = out[0], out[1]
		record(x)
	}
	r := &LangevinRun{Delta: delta, K: K, N: n, Limit: StationaryVariance(1, delta)}
	r.Share, r.Mean, r.Variance = HeavyMode(x)
	exact := mixtureSeries(TwoModes(), fc.Seed, n)
	box := figs.Options{Width: 400, Height: 400, XMin: -9, XMax: 9, YMin: -9, YMax: 9}
	left := box
	left.Title = fmt.Sprintf("six chains, δ = %g, K = %d", delta, K)
	lp, err := figs.Lines(left, paths...)
	if err != nil {
		return nil, err
	}
	right := box
	right.Title = fmt.Sprintf("%d chains after K = %d: heavy mode %.2f (target 0.80)", n, K, r.Share)
	rp, err := figs.Scatter(right, exact, figs.XY("chains", tensors.MustCopyFlatData[float64](x)))
	if err != nil {
		return nil, err
	}
	if r.PNG, err = sideBySide(lp, rp); err != nil {
		return nil, err
	}
	return r, nil
}

// mixtureSeries is n exact samples of mix, named "data" (drawn grey).
func mixtureSeries(mix *ddpm.GaussianMixture, seed int64, n int) figs.Series {
	var flat []float64
	for _, p := range mix.Sample(rand.New(rand.NewPCG(uint64(seed), 4)), n) {
		flat = append(flat, p...)
	}
	return figs.XY("data", flat)
}

// LangevinCompare is plain against annealed Langevin dynamics on TwoModes,
// from the same start points: what [Config.Langevin] draws.
type LangevinCompare struct {
	N                           int
	PlainK, Levels, PerLevel    int
	Plain, Annealed             [3]float64 // HeavyMode: share, mean and variance of x₁
	PlainDelta, AnnealedEps     float64
	SigmaFirst, SigmaLast       float64
	PNG                         []byte
	PlainPoints, AnnealedPoints *tensors.Tensor
}

// CompareLangevin runs, from the same uniform start points on [−8, 8]² and
// RNG state, plain Langevin dynamics (δ = 0.1, 1000 steps) and annealed
// Langevin dynamics (Song & Ermon 2019: 20 noise levels σ geometric from 10
// to 0.1, 100 steps each, ε = 0.2 σ_L²) on TwoModes, 2000 chains each (fewer
// and shorter with Quick), and draws both over exact samples; the titles give
// the share of the heavy mode (0.8 for the target).
func (fc Config) CompareLangevin() (*LangevinCompare, error) {
	r := &LangevinCompare{N: fc.pick(2000, 500), PlainK: fc.pick(1000, 100), Levels: fc.pick(20, 10), PerLevel: fc.pick(100, 20),
		PlainDelta: 0.1, SigmaFirst: 10, SigmaLast: 0.1}
	r.AnnealedEps = 0.2 * r.SigmaLast * r.SigmaLast
	mix := TwoModes()
	sigmas := make([]float64, r.Levels)
	for i := range sigmas {
		sigmas[i] = r.SigmaFirst * math.Pow(r.SigmaLast/r.SigmaFirst, float64(i)/float64(r.Levels-1))
	}
	state, err := graph.RNGStateFromSeed(fc.Seed)
	if err != nil {
		return nil, err
	}
	x := UniformStart(r.N, uint64(fc.Seed))
	// One graph per chain, from the same start points and RNG state.
	if r.PlainPoints, err = graph.CallOnce(fc.Backend, func(x, rng *graph.Node) *graph.Node {
		_, x = ddpm.LangevinChain(mix.Score, x, rng, r.PlainDelta, r.PlainK)
		return x
	}, x, state); err != nil {
		return nil, err
	}
	if r.AnnealedPoints, err = graph.CallOnce(fc.Backend, func(x, rng *graph.Node) *graph.Node {
		_, x = ddpm.AnnealedLangevin(mix.ScoreAt(sigmas), x, rng, sigmas, r.AnnealedEps, r.PerLevel)
		return x
	}, x, state); err != nil {
		return nil, err
	}
	r.Plain[0], r.Plain[1], r.Plain[2] = HeavyMode(r.PlainPoints)
	r.Annealed[0], r.Annealed[1], r.Annealed[2] = HeavyMode(r.AnnealedPoints)
	exact := mixtureSeries(mix, fc.Seed, r.N)
	panel := func(title string, pts *tensors.Tensor, share float64) ([]byte, error) {
		return figs.Scatter(figs.Options{Title: fmt.Sprintf("%s: heavy mode %.2f (target 0.80)", title, share), Width: 420, Height: 420, XMin: -9, XMax: 9, YMin: -9, YMax: 9},
			exact, figs.XY("samples", tensors.MustCopyFlatData[float64](pts)))
	}
	left, err := panel(fmt.Sprintf("plain, %d steps", r.PlainK), r.PlainPoints, r.Plain[0])
	if err != nil {
		return nil, err
	}
	right, err := panel(fmt.Sprintf("annealed, %d×%d steps", r.Levels, r.PerLevel), r.AnnealedPoints, r.Annealed[0])
	if err != nil {
		return nil, err
	}
	if r.PNG, err = sideBySide(left, right); err != nil {
		return nil, err
	}
	return r, nil
}

// Langevin draws [Config.CompareLangevin]: plain vs annealed Langevin
// dynamics side by side (langevin_annealed.png).
func (fc Config) Langevin() ([]byte, error) {
	r, err := fc.CompareLangevin()
	if err != nil {
		return nil, err
	}
	return r.PNG, nil
}
