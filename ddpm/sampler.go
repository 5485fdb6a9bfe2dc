package ddpm

import (
	"fmt"
	"math"
	"slices"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Net is a denoising network: x_t [B, …] and array indices t [B] int32
// (paper step t = index+1) → an output [B, …] read according to a
// [Prediction]. Its variables live under scope. Analytic "networks" (such as
// the optimal ε of Gaussian data) ignore scope.
type Net func(scope *model.Scope, xt, t *Node) *Node

// SamplerKind names a sampler.
type SamplerKind string

const (
	// Ancestral is Ho et al. (2020) Algorithm 2: T steps of p_θ(x_{t−1}|x_t).
	Ancestral SamplerKind = "ancestral"
	// DDIM is Song, Meng & Ermon (2021) Eq. 12 on a sub-sequence of S steps,
	// with η interpolating between deterministic (η = 0) and DDPM-like (η = 1).
	DDIM SamplerKind = "ddim"
	// Langevin is annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1)
	// driven by the ε-model's score −ε_θ/√(1−ᾱ_t) over a ladder of S steps t.
	Langevin SamplerKind = "langevin"
)

// SampleConfig configures [NewSampler]. Zero values take the defaults given.
type SampleConfig struct {
	Kind       SamplerKind  // default Ancestral.
	Prediction Prediction   // what the network outputs; default PredictEps.
	Variance   VarianceKind // σ_t² of Ancestral; default FixedLarge (σ_t² = β_t).
	// ClipX0 > 0 clips x̂_0 to [−ClipX0, ClipX0] at each step (Ho et al.'s
	// code clips images to [−1, 1]); 0 (default) never clips. Not used by Langevin.
	ClipX0 float64
	// Steps is DDIM's S and Langevin's number of noise levels; default
	// [DefaultSteps]. Ancestral takes T steps by default; with 0 < Steps < T
	// it runs Algorithm 2 on the schedule respaced to the Steps indices of
	// Spacing (Nichol & Dhariwal 2021 §4, see [Respace]), the network called
	// at the original t.
	Steps int
	// Eta is DDIM's η ∈ [0, 1]; default 0 (deterministic).
	Eta float64
	// LangevinK is the number of Langevin steps per level; default 10.
	LangevinK int
	// LangevinEps is ε in Song & Ermon's step α_i = ε σ_i²/σ_L², with
	// σ_i² = 1−ᾱ_{t_i} and σ_L the smallest level. Default σ_L², so that
	// α_i = σ_i²: each level steps by its own noise variance. (Song & Ermon
	// used α_i/σ_i² = 0.2 with K = 100; for x_0 ~ N(0.5, 0.25) the defaults
	// S = 100, K = 10 give a law within 2 % in mean and 6 % in variance,
	// see TestSamplersReproduceGaussianData.)
	LangevinEps float64
	// SnapshotEvery > 0 records x every that many steps (plus x_T) in the
	// returned snapshots; 0 records none.
	SnapshotEvery int
	// Spacing chooses DDIM's (and respaced Ancestral's) S steps among the T
	// (see [Spacing]); default SpacingTrailing. Langevin always uses the
	// trailing ladder.
	Spacing Spacing
	// FinalAlphaBarFirst sets ᾱ_prev of DDIM's last step: false (default)
	// ᾱ_prev = 1, the clean data (diffusers' set_alpha_to_one=True); true
	// ᾱ_prev = ᾱ at array index 0 (set_alpha_to_one=False).
	FinalAlphaBarFirst bool
	// RawEpsDirection matters only with ClipX0 > 0 in DDIM: false (default)
	// re-derives ε̂ from the clipped x̂_0 for the direction term
	// √(1−ᾱ_prev−σ²) ε̂ (guided-diffusion, and Ho et al.'s code for the
	// posterior mean); true keeps the network's ε̂ as predicted (diffusers'
	// DDIMScheduler). See [PredToX0Eps].
	RawEpsDirection bool
}

// Spacing names how DDIM picks S of the T steps, with diffusers'
// DDIMScheduler names (its timestep_spacing, steps_offset = 0). Array
// indices, listed from the noisiest:
//
//	SpacingTrailing  round((j+1)·T/S) − 1,      j = S−1 … 0   (starts at T−1, the pure-noise step)
//	SpacingLeading   j·⌊T/S⌋,                   j = S−1 … 0   (ends at 0; Song et al.'s "uniform" skip)
//	SpacingLinspace  round(j·(T−1)/(S−1)),      j = S−1 … 0   (both ends; S = 1 gives 0)
//
// round is half to even, as numpy's. The step after the last one goes to
// ᾱ_prev of [SampleConfig.FinalAlphaBarFirst]; every other step goes to the
// next listed index (diffusers' step() goes to t − ⌊T/S⌋ instead, the same
// for leading spacing and for trailing spacing when S divides T).
type Spacing string

const (
	SpacingTrailing Spacing = "trailing"
	SpacingLeading  Spacing = "leading"
	SpacingLinspace Spacing = "linspace"
)

// The default number of steps of the samplers that skip steps (at most T).
const (
	DefaultDDIMSteps      = 50  // DDIM's S (the README's MNIST-FD uses it)
	DefaultLangevinLevels = 100 // noise levels of the Langevin sampler
)

// DefaultSteps is the default Steps of a sampler of kind over T diffusion
// steps: min(DefaultDDIMSteps, T) for DDIM, min(DefaultLangevinLevels, T)
// for Langevin, 0 (all T steps) for Ancestral.
func DefaultSteps(kind SamplerKind, T int) int {
	switch kind {
	case DDIM:
		return min(DefaultDDIMSteps, T)
	case Langevin:
		return min(DefaultLangevinLevels, T)
	}
	return 0
}

// Timesteps returns the array indices t visited by the sampler, in sampling
// order (from the noisiest). Ancestral: T−1, …, 0, or with 0 < Steps < T the
// S indices of c.Spacing; DDIM: S indices with c.Spacing (see [Spacing]);
// Langevin: S indices with the trailing spacing.
func (c SampleConfig) Timesteps(T int) []int {
	if c.Kind != DDIM && c.Kind != Langevin && (c.Steps <= 0 || c.Steps >= T) {
		ts := make([]int, T)
		for j := range T {
			ts[T-1-j] = j
		}
		return ts
	}
	n := c.Steps
	if n == 0 { // the defaults of NewSampler
		n = DefaultSteps(c.Kind, T)
	}
	spacing := c.Spacing
	if c.Kind == Langevin || spacing == "" {
		spacing = SpacingTrailing
	}
	ts := make([]int, n)
	for j := range n {
		var v int
		switch spacing {
		case SpacingLeading:
			v = j * (T / n)
		case SpacingLinspace:
			// numpy.linspace(0, T−1, S): j·step, the last one exactly T−1.
			if n > 1 {
				v = int(math.RoundToEven(float64(j) * (float64(T-1) / float64(n-1))))
			}
			if j == n-1 {
				v = T - 1
			}
		default:
			v = int(math.RoundToEven(float64(j+1)*float64(T)/float64(n))) - 1
		}
		ts[n-1-j] = v
	}
	return ts
}

func (c SampleConfig) withDefaults(s *Schedule) (SampleConfig, error) {
	if c.Kind == "" {
		c.Kind = Ancestral
	}
	switch c.Kind {
	case Ancestral:
		if c.Steps < 0 || c.Steps > s.T {
			return c, fmt.Errorf("ddpm: ancestral Steps=%d out of range: 0 or T=%d for all steps, or fewer to respace the schedule", c.Steps, s.T)
		}
	case DDIM:
		if c.Steps == 0 {
			c.Steps = DefaultSteps(DDIM, s.T)
		}
	case Langevin:
		if c.Steps == 0 {
			c.Steps = DefaultSteps(Langevin, s.T)
		}
		if c.Steps < 1 || c.Steps > s.T { // before LangevinEps, which depends on it
			return c, fmt.Errorf("ddpm: %s sampler needs 1 ≤ steps ≤ T=%d, got %d", c.Kind, s.T, c.Steps)
		}
		if c.LangevinK == 0 {
			c.LangevinK = 10
		}
		if c.LangevinEps == 0 && c.Steps >= 1 && c.Steps <= s.T {
			ts := c.Timesteps(s.T)
			c.LangevinEps = 1 - s.AlphasBar[ts[len(ts)-1]]
		}
		if c.LangevinK < 1 || !(c.LangevinEps > 0) {
			return c, fmt.Errorf("ddpm: Langevin sampler needs LangevinK ≥ 1 and LangevinEps > 0, got %d and %g", c.LangevinK, c.LangevinEps)
		}
	default:
		return c, fmt.Errorf("ddpm: unknown sampler %q: use ancestral, ddim or langevin", c.Kind)
	}
	if (c.Kind == DDIM || c.Kind == Langevin) && (c.Steps < 1 || c.Steps > s.T) {
		return c, fmt.Errorf("ddpm: %s Steps=%d out of range: it must lie in [1, T=%d]", c.Kind, c.Steps, s.T)
	}
	switch c.Spacing {
	case "", SpacingTrailing, SpacingLeading, SpacingLinspace:
	default:
		return c, fmt.Errorf("ddpm: unknown DDIM spacing %q: use trailing, leading or linspace", c.Spacing)
	}
	if !(c.Eta >= 0 && c.Eta <= 1) { // NaN too
		return c, fmt.Errorf("ddpm: DDIM Eta=%g out of range: it must lie in [0, 1]", c.Eta)
	}
	if c.SnapshotEvery < 0 {
		return c, fmt.Errorf("ddpm: SnapshotEvery=%d must be ≥ 0", c.SnapshotEvery)
	}
	if !(c.ClipX0 >= 0) || math.IsInf(c.ClipX0, 0) { // NaN too
		return c, fmt.Errorf("ddpm: ClipX0=%g must be a finite number ≥ 0", c.ClipX0)
	}
	return c, nil
}

// numIterations is the number of loop iterations of the sampler.
func (c SampleConfig) numIterations(T int) int {
	switch c.Kind {
	case DDIM:
		return c.Steps
	case Langevin:
		return c.Steps * c.LangevinK
	}
	return T
}

// DDIMSigma is σ of DDIM's Eq. 16 for η, between array indices t and prev
// (prev < 0 means ᾱ_prev = 1, the clean data):
//
//	σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev).
func (s *Schedule) DDIMSigma(t, prev int, eta float64) float64 {
	abPrev := 1.0
	if prev >= 0 {
		abPrev = s.AlphasBar[prev]
	}
	return ddimSigma(s.AlphasBar[t], abPrev, eta)
}

// ddimSigma is [Schedule.DDIMSigma] from ᾱ_t and ᾱ_prev.
func ddimSigma(ab, abPrev, eta float64) float64 {
	return eta * math.Sqrt((1-abPrev)/(1-ab)*(1-ab/abPrev))
}

// SampleGraph builds the whole sampling chain from x_T as one graph.While
// loop and returns x_0 and, when cfg.SnapshotEvery > 0, the snapshots
// [K+1, …] (x_T first; snapshot j is x after min(j·SnapshotEvery, n) loop
// iterations). cfg must already hold its defaults (see [NewSampler]).
// The network's variables must already exist in scope's store.
func SampleGraph(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, xT, rngState *Node) (x0, snapshots *Node) {
	g := xT.Graph()
	shape := xT.Shape()
	B := shape.Dimensions[0]
	if cfg.Kind == Ancestral && cfg.Steps > 0 && cfg.Steps < s.T {
		// Algorithm 2 on the respaced schedule (Nichol & Dhariwal 2021 §4):
		// the loop runs over respaced indices S−1 … 0, the net sees ts[t'].
		ts := cfg.Timesteps(s.T)
		slices.Reverse(ts)
		r, err := Respace(s, ts)
		if err != nil {
			panic(err) // cannot happen: Timesteps are strictly monotone in [0, T)
		}
		s, net = r, RespacedNet(net, ts)
	}
	// The network's variables ride through the loop as loop state, unchanged:
	// a parameter created inside the body would belong to the closure, and
	// go-xla v0.3.0 rejects element-wise ops that mix a closure value with a
	// captured main-function value ("cannot add operation Add to function
	// "closure1", because the operands are not part of the function"). While
	// the body is built, each variable's graph value is the body's parameter.
	var vars []*model.Variable
	var varNodes []*Node
	for v := range scope.Store().IterVariables() {
		if v.HasValue() {
			vars = append(vars, v)
			varNodes = append(varNodes, v.NodeValue(g))
		}
	}
	n := cfg.numIterations(s.T)
	every := cfg.SnapshotEvery
	numSnaps := 0
	if every > 0 {
		numSnaps = (n+every-1)/every + 1
	}
	batchT := func(t *Node) *Node { return BroadcastToShape(t, shapes.Make(dtypes.Int32, B)) }

	// Loop-order tables (index j = loop iteration / level).
	ts := cfg.Timesteps(s.T)
	tTab := make([]int32, len(ts))
	for j, t := range ts {
		tTab[j] = int32(t)
	}
	var step func(j, x, rng *Node) (xNew, rngNew *Node)
	switch cfg.Kind {
	case Ancestral:
		step = func(j, x, rng *Node) (*Node, *Node) {
			t := Sub(Const(g, int32(s.T-1)), j)
			out := net(scope, x, batchT(t))
			rng, z := gomlxfix.RandomNormal(rng, shape)
			if cfg.Variance == Learned {
				return learnedAncestralStep(s, cfg.Prediction, cfg.ClipX0, out, x, batchT(t), z), rng
			}
			return ancestralStep(s, cfg.Prediction, ancestralSigma(s, cfg.Variance), cfg.ClipX0, out, x, t, z), rng
		}
	case DDIM:
		S := len(ts)
		abPrev, sig, dirCoef := make([]float64, S), make([]float64, S), make([]float64, S)
		for j, t := range ts {
			prev := -1
			if j+1 < S {
				prev = ts[j+1]
			}
			abPrev[j] = 1
			if prev >= 0 {
				abPrev[j] = s.AlphasBar[prev]
			} else if cfg.FinalAlphaBarFirst {
				abPrev[j] = s.AlphasBar[0]
			}
			sig[j] = ddimSigma(s.AlphasBar[t], abPrev[j], cfg.Eta)
			dirCoef[j] = math.Sqrt(math.Max(1-abPrev[j]-sig[j]*sig[j], 0))
			abPrev[j] = math.Sqrt(abPrev[j])
		}
		tConst := Const(g, tTab)
		step = func(j, x, rng *Node) (*Node, *Node) {
			t := Gather(tConst, InsertAxes(j, 0))
			out := prediction(cfg, net(scope, x, batchT(t)))
			x0, eps := PredToX0Eps(s, cfg.Prediction, out, x, t, cfg.ClipX0)
			if cfg.RawEpsDirection && cfg.ClipX0 > 0 {
				_, eps = PredToX0Eps(s, cfg.Prediction, out, x, t, 0)
			}
			// DDIM Eq. 12: x_prev = √ᾱ_prev x̂_0 + √(1−ᾱ_prev−σ²) ε̂ + σ z.
			xNew := Add(Mul(coef(abPrev, j, x), x0), Mul(coef(dirCoef, j, x), eps))
			if cfg.Eta > 0 {
				var z *Node
				rng, z = gomlxfix.RandomNormal(rng, shape)
				xNew = Add(xNew, Mul(coef(sig, j, x), z))
			}
			return xNew, rng
		}
	case Langevin:
		L, K := len(ts), cfg.LangevinK
		sig2 := make([]float64, L)
		for l, t := range ts {
			sig2[l] = 1 - s.AlphasBar[t]
		}
		alpha := AnnealedStepSizes(sqrtAll(sig2), cfg.LangevinEps)
		half, root := make([]float64, L), make([]float64, L)
		for l, a := range alpha {
			half[l], root[l] = a/2, math.Sqrt(a)
		}
		tConst := Const(g, tTab)
		step = func(j, x, rng *Node) (*Node, *Node) {
			level := Div(j, Const(g, int32(K)))
			t := Gather(tConst, InsertAxes(level, 0))
			score := EpsScore(s, prediction(cfg, net(scope, x, batchT(t))), t)
			rng, z := gomlxfix.RandomNormal(rng, shape)
			return Add(Add(x, Mul(coef(half, level, x), score)), Mul(coef(root, level, x), z)), rng
		}
	}

	// State: step j, RNG state, x, [snapshots,] then the network's variables.
	init := []*Node{Const(g, int32(0)), rngState, xT}
	if numSnaps > 0 {
		snapDims := append([]int{numSnaps}, shape.Dimensions...)
		init = append(init, writeSnapshot(Zeros(g, shapes.Make(shape.DType, snapDims...)), xT, Const(g, int32(0))))
	}
	numState := len(init)
	init = append(init, varNodes...)
	out := gomlxfix.While(init,
		func(g *Graph, ps []*Node) *Node { return LessThan(ps[0], Const(g, int32(n))) },
		func(g *Graph, ps []*Node) []*Node {
			for i, v := range vars {
				v.SetNodeValue(ps[numState+i])
			}
			defer func() {
				for i, v := range vars {
					v.SetNodeValue(varNodes[i])
				}
			}()
			j, rng, x := ps[0], ps[1], ps[2]
			x, rng = step(j, x, rng)
			next := AddScalar(j, 1)
			outs := []*Node{next, rng, x}
			if numSnaps > 0 {
				slot := Div(AddScalar(next, int32(every-1)), Const(g, int32(every))) // ⌈(j+1)/every⌉
				outs = append(outs, writeSnapshot(ps[3], x, slot))
			}
			return append(outs, ps[numState:]...)
		})
	x0 = out[2]
	if cfg.Kind == Langevin {
		// Langevin ends at level t_L (σ_L² = 1−ᾱ at the last step, > 0): one
		// last denoising step x̂_0 = E[x_0|x_t] from the ε-model (Tweedie).
		tLast := Const(g, tTab[len(tTab)-1])
		x0, _ = PredToX0Eps(s, PredictEps, prediction(cfg, net(scope, x0, batchT(tLast))), x0, tLast, 0)
	}
	if numSnaps > 0 {
		snapshots = out[3]
	}
	return x0, snapshots
}

// AncestralStep is one step of Ho et al. (2020) Algorithm 2, line 4:
//
//	x_{t−1} = μ_θ(x_t, t) + σ_t z,   z ~ N(0, I) if t > 1, else z = 0,
//
// with μ_θ from [ReverseMean] (for ε-prediction without clipping, Eq. 11:
// 1/√α_t (x_t − β_t/√(1−ᾱ_t) ε_θ)) and σ_t² of kind. out is the network
// output at (x_t, t); x, z: [B, …]; t: scalar int32 array index.
func AncestralStep(s *Schedule, pred Prediction, kind VarianceKind, clip float64, out, x, t, z *Node) *Node {
	return ancestralStep(s, pred, ancestralSigma(s, kind), clip, out, x, t, z)
}

func ancestralStep(s *Schedule, pred Prediction, sigma []float64, clip float64, out, x, t, z *Node) *Node {
	mean, _ := ReverseMean(s, pred, out, x, t, clip)
	return Add(mean, Mul(coef(sigma, t, x), z))
}

// prediction is the prediction part of a network output: all of it, or
// for a learned-variance network (cfg.Variance == Learned) its first half.
func prediction(cfg SampleConfig, out *Node) *Node {
	if cfg.Variance == Learned {
		p, _ := SplitLearned(out)
		return p
	}
	return out
}

// learnedAncestralStep is Algorithm 2's step with Σ_θ learned (Nichol &
// Dhariwal Eq. 15): x_{t−1} = μ_θ + exp(½ log Σ_θ) z, no noise at index 0.
// out [B, …, 2C], t [B].
func learnedAncestralStep(s *Schedule, pred Prediction, clip float64, out, x, t, z *Node) *Node {
	p, v := SplitLearned(out)
	mean, _ := ReverseMean(s, pred, p, x, t, clip)
	sigma := Exp(MulScalar(LearnedLogVariance(s, v, t), 0.5))
	return Add(mean, Mul(Mul(sigma, coef(noiseMask(s.T), t, x)), z))
}

// noiseMask is 0 at index 0 and 1 elsewhere: Algorithm 2 adds no noise at t = 1.
func noiseMask(T int) []float64 {
	m := make([]float64, T)
	for i := 1; i < T; i++ {
		m[i] = 1
	}
	return m
}

// ancestralSigma is σ_t with σ = 0 at index 0 (Algorithm 2: no noise at t = 1).
func ancestralSigma(s *Schedule, kind VarianceKind) []float64 {
	sigma := sqrtAll(s.ReverseVariance(kind))
	sigma[0] = 0
	return sigma
}

// writeSnapshot returns snaps [K, …] with row slot replaced by x [...].
// GoMLX v0.28.0's Go backend has no DynamicUpdateSlice ("op not implemented"),
// so the row is selected with a one-hot mask; K is small (figures).
func writeSnapshot(snaps, x, slot *Node) *Node {
	g := snaps.Graph()
	K := snaps.Shape().Dimensions[0]
	maskDims := make([]int, snaps.Rank())
	for i := range maskDims {
		maskDims[i] = 1
	}
	maskDims[0] = K
	rows := Iota(g, shapes.Make(dtypes.Int32, K), 0)
	mask := Reshape(Equal(rows, slot), maskDims...)
	return Where(BroadcastToShape(mask, snaps.Shape()), BroadcastToShape(InsertAxes(x, 0), snaps.Shape()), snaps)
}

func sqrtAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Sqrt(x)
	}
	return out
}

// Sampler runs a sampling chain as one compiled call.
type Sampler struct {
	Config   SampleConfig
	schedule *Schedule
	exec     *model.Exec
}

// NewSampler prepares a sampler over the network net whose variables are in
// store (already trained or loaded; for an analytic net, an empty store).
func NewSampler(backend compute.Backend, store *model.Store, s *Schedule, net Net, cfg SampleConfig) (*Sampler, error) {
	cfg, err := cfg.withDefaults(s)
	if err != nil {
		return nil, err
	}
	if cfg.Kind == Langevin && cfg.Prediction != PredictEps {
		return nil, fmt.Errorf("ddpm: the Langevin sampler needs an ε-prediction network, not %s", cfg.Prediction)
	}
	sm := &Sampler{Config: cfg, schedule: s}
	sm.exec, err = model.NewExec(backend, store, func(scope *model.Scope, xT, rng *Node) []*Node {
		x0, snaps := SampleGraph(scope, s, net, cfg, xT, rng)
		if snaps == nil {
			return []*Node{x0}
		}
		return []*Node{x0, snaps}
	})
	if err != nil {
		return nil, err
	}
	return sm, nil
}

// Sample runs the chain from x_T (a float32 tensor [B, …]) with the RNG seeded
// by seed, and returns x_0 and the snapshots (nil unless SnapshotEvery > 0).
func (sm *Sampler) Sample(xT *tensors.Tensor, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	rng, err := RNGStateFromSeed(seed)
	if err != nil {
		return nil, nil, err
	}
	outs, err := sm.exec.Call(xT, rng)
	if err != nil {
		return nil, nil, err
	}
	if len(outs) > 1 {
		snapshots = outs[1]
	}
	return outs[0], snapshots, nil
}

// SampleNoise is [Sampler.Sample] from x_T ~ N(0, I) of the given dimensions
// ([B, …]), drawn from seed (the chain then uses seed+1).
func (sm *Sampler) SampleNoise(backend compute.Backend, dims []int, seed int64) (x0, snapshots *tensors.Tensor, err error) {
	xT, err := StandardNormal(backend, dims, seed)
	if err != nil {
		return nil, nil, err
	}
	return sm.Sample(xT, seed+1)
}

// StandardNormal draws a float32 tensor of N(0, I) values from seed, in the graph.
func StandardNormal(backend compute.Backend, dims []int, seed int64) (*tensors.Tensor, error) {
	rng, err := RNGStateFromSeed(seed)
	if err != nil {
		return nil, err
	}
	return CallOnce(backend, func(rng *Node) *Node {
		_, z := gomlxfix.RandomNormal(rng, shapes.Make(dtypes.Float32, dims...))
		return z
	}, rng)
}
