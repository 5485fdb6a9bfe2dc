package ddpm

import (
	"math"
	"slices"

	"github.com/ddpm-go/ddpm-go/internal/field"
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

// WithDefaults returns c with its zero fields set to their defaults for
// the schedule s: Kind Ancestral; Steps [DefaultSteps] (for Ancestral 0,
// all T steps); Langevin's LangevinK 10 and LangevinEps σ_L² (the
// variance of the last level, so that α_i = σ_i²).
func (c SampleConfig) WithDefaults(s *Schedule) SampleConfig {
	if c.Kind == "" {
		c.Kind = Ancestral
	}
	if c.Steps == 0 {
		c.Steps = DefaultSteps(c.Kind, s.T)
	}
	if c.Kind == Langevin {
		if c.LangevinK == 0 {
			c.LangevinK = 10
		}
		if c.LangevinEps == 0 && c.Steps >= 1 && c.Steps <= s.T {
			ts := c.Timesteps(s.T)
			c.LangevinEps = 1 - s.AlphasBar[ts[len(ts)-1]]
		}
	}
	return c
}

// Validate checks c for a schedule of T steps (before or after
// [SampleConfig.WithDefaults]: a zero field is its default); the error is a
// *field.Error naming the first field that is out of range or that the
// kind of sampler does not use.
func (c SampleConfig) Validate(T int) error {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("ddpm", "SampleConfig", name, v, want, args...)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	kind := c.Kind
	if kind == "" {
		kind = Ancestral
	}
	switch kind {
	case Ancestral, DDIM, Langevin:
	default:
		return bad("Kind", kind, "is not a sampler: use ancestral, ddim or langevin")
	}
	only := func(name string, v any, set bool, k SamplerKind, what string) error {
		if set && kind != k {
			return bad(name, v, "is %s, not for the %s sampler", what, kind)
		}
		return nil
	}
	switch {
	case c.Steps < 0 || c.Steps > T:
		return bad("Steps", c.Steps, "must lie in [1, T = %d] (0: the default)", T)
	case !(c.Eta >= 0 && c.Eta <= 1): // NaN too
		return bad("Eta", c.Eta, "must lie in [0, 1]")
	case !finite(c.ClipX0) || c.ClipX0 < 0:
		return bad("ClipX0", c.ClipX0, "must be a finite number ≥ 0 (0: no clipping)")
	case c.ClipX0 > 0 && kind == Langevin:
		return bad("ClipX0", c.ClipX0, "is not used by the langevin sampler")
	case c.Variance < FixedLarge || c.Variance > Learned:
		return bad("Variance", int(c.Variance), "is not a variance")
	case c.Variance == FixedSmall && kind != Ancestral:
		return bad("Variance", c.Variance, "is for the ancestral sampler, not %s", kind)
	case c.SnapshotEvery < 0:
		return bad("SnapshotEvery", c.SnapshotEvery, "must be ≥ 0")
	case c.LangevinK < 0:
		return bad("LangevinK", c.LangevinK, "must be ≥ 1 (0: the default)")
	case !finite(c.LangevinEps) || c.LangevinEps < 0:
		return bad("LangevinEps", c.LangevinEps, "must be a finite number > 0 (0: the default)")
	case kind == Langevin && c.Prediction != PredictEps:
		return bad("Prediction", c.Prediction, "cannot drive the Langevin sampler, which needs an ε-prediction network")
	}
	switch c.Spacing {
	case "", SpacingTrailing, SpacingLeading, SpacingLinspace:
	default:
		return bad("Spacing", c.Spacing, "is not a spacing: use trailing, leading or linspace")
	}
	for _, err := range []error{
		only("Eta", c.Eta, c.Eta != 0, DDIM, "DDIM's η"),
		only("FinalAlphaBarFirst", c.FinalAlphaBarFirst, c.FinalAlphaBarFirst, DDIM, "a DDIM convention"),
		only("RawEpsDirection", c.RawEpsDirection, c.RawEpsDirection, DDIM, "a DDIM convention"),
		only("LangevinK", c.LangevinK, c.LangevinK != 0, Langevin, "Langevin's steps per level"),
		only("LangevinEps", c.LangevinEps, c.LangevinEps != 0, Langevin, "Langevin's step size"),
	} {
		if err != nil {
			return err
		}
	}
	if kind == Langevin && c.Spacing != "" && c.Spacing != SpacingTrailing {
		return bad("Spacing", c.Spacing, "is for the ddim and (respaced) ancestral samplers; langevin always uses the trailing ladder")
	}
	return nil
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

// loopStep is iteration j of a sampler's loop: x and the RNG state in,
// their next values out. ancestralLoop, ddimLoop and langevinLoop build one.
type loopStep func(j, x, rng *Node) (xNew, rngNew *Node)

// batchOf broadcasts a scalar array index t to the batch of shape: [B] int32.
func batchOf(t *Node, shape shapes.Shape) *Node {
	return BroadcastToShape(t, shapes.Make(dtypes.Int32, shape.Dimensions[0]))
}

// int32s is ts as int32, for a graph constant.
func int32s(ts []int) []int32 {
	out := make([]int32, len(ts))
	for i, t := range ts {
		out[i] = int32(t)
	}
	return out
}

// SampleGraph builds the whole sampling chain from x_T as one graph.While
// loop and returns x_0 and, when cfg.SnapshotEvery > 0, the snapshots
// [K+1, …] (x_T first; snapshot j is x after min(j·SnapshotEvery, n) loop
// iterations). cfg must already hold its defaults (see [NewSampler]).
// The network's variables must already exist in scope's store: a network
// that creates variables while the loop is built panics with a message
// saying so.
func SampleGraph(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, xT, rngState *Node) (x0, snapshots *Node) {
	g := xT.Graph()
	shape := xT.Shape()
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
	n := cfg.numIterations(s.T)
	every := cfg.SnapshotEvery
	numSnaps := 0
	if every > 0 {
		numSnaps = (n+every-1)/every + 1
	}
	var step loopStep
	switch cfg.Kind {
	case Ancestral:
		step = ancestralLoop(scope, s, net, cfg, shape)
	case DDIM:
		step = ddimLoop(scope, s, net, cfg, shape)
	case Langevin:
		step = langevinLoop(scope, s, net, cfg, shape)
	}

	// State: step j, RNG state, x, [snapshots]; the network's variables ride
	// along (gomlxfix.WhileVariables).
	init := []*Node{Const(g, int32(0)), rngState, xT}
	if numSnaps > 0 {
		snapDims := append([]int{numSnaps}, shape.Dimensions...)
		init = append(init, gomlxfix.SetRow(Zeros(g, shapes.Make(shape.DType, snapDims...)), xT, Const(g, int32(0))))
	}
	before := scope.Store().NumVariables()
	out := gomlxfix.WhileVariables(scope.Store(), init,
		func(g *Graph, ps []*Node) *Node { return LessThan(ps[0], Const(g, int32(n))) },
		func(g *Graph, ps []*Node) []*Node {
			j, rng, x := ps[0], ps[1], ps[2]
			x, rng = step(j, x, rng)
			if made := scope.Store().NumVariables() - before; made > 0 {
				panicf("ddpm: the sampler's network created %d new variable(s): its weights are not in the store. Sample a store that holds them under %q: the Trainer's store, EMAStore of it, or experiment.LoadWeights' (the sampler reads the network under NetScope, as the Trainer builds it)", made, "/"+NetScope)
			}
			next := AddScalar(j, 1)
			outs := []*Node{next, rng, x}
			if numSnaps > 0 {
				slot := Div(AddScalar(next, int32(every-1)), Const(g, int32(every))) // ⌈(j+1)/every⌉
				outs = append(outs, gomlxfix.SetRow(ps[3], x, slot))
			}
			return outs
		})
	x0 = out[2]
	if cfg.Kind == Langevin {
		// Langevin ends at level t_L (σ_L² = 1−ᾱ at the last step, > 0): one
		// last denoising step x̂_0 = E[x_0|x_t] from the ε-model (Tweedie).
		ts := cfg.Timesteps(s.T)
		tLast := Const(g, int32(ts[len(ts)-1]))
		x0, _ = PredToX0Eps(s, PredictEps, prediction(cfg, net(scope, x0, batchOf(tLast, shape))), x0, tLast, 0)
	}
	if numSnaps > 0 {
		snapshots = out[3]
	}
	return x0, snapshots
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

func sqrtAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Sqrt(x)
	}
	return out
}

// netIn is net reading its variables under [NetScope] of the store, as the
// [Trainer] creates them. The scope is absolute, so wrapping twice is the same.
func netIn(net Net) Net {
	return func(scope *model.Scope, xt, t *Node) *Node { return net(scope.Store().Scope("/"+NetScope), xt, t) }
}

// Sampler runs a sampling chain as one compiled call.
type Sampler struct {
	Config   SampleConfig
	schedule *Schedule
	exec     *model.Exec
}

// NewSampler prepares a sampler over the network net whose variables are in
// store under [NetScope] — as the [Trainer] made them: its store, [EMAStore]
// of it, or a loaded weight file's (for an analytic net, an empty store).
// cfg is completed by [SampleConfig.WithDefaults] and checked by
// [SampleConfig.Validate].
func NewSampler(backend compute.Backend, store *model.Store, s *Schedule, net Net, cfg SampleConfig) (*Sampler, error) {
	if err := cfg.Validate(s.T); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults(s)
	sm := &Sampler{Config: cfg, schedule: s}
	net = netIn(net)
	var err error
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
