package ddpm

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Net is a denoising network: x_t [B, …] and array indices t [B] int32
// (paper step t = index+1) → an output [B, …] read according to a
// [Prediction]. Its variables live under scope. Analytic "networks" (such as
// the optimal ε of Gaussian data) ignore scope.
type Net func(scope *model.Scope, xt, t *Node) *Node

// SamplerKind names a sampler of the registry (see [Samplers]): each is one
// file of this package that registers itself (DPMSolverPP2M in
// dpmsolver.go, Heun in heun.go).
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
// The fields from Eta on are the knobs of one sampler each (see
// [SamplerKnob]): the other samplers refuse them. A field tagged flag is the
// command line's flag of that name (its usage states a default that is a
// rule rather than a value).
type SampleConfig struct {
	// Kind: default Ancestral.
	Kind SamplerKind `flag:"sampler" usage:"sampler (eval: all but langevin)"`
	// Prediction is what the network outputs; default PredictEps.
	Prediction Prediction
	// Variance is σ_t² of Ancestral; default FixedLarge (σ_t² = β_t).
	Variance VarianceKind `flag:"variance" usage:"ancestral σ_t²: large (β_t) or small (β̃_t)"`
	// ClipX0 > 0 clips x̂_0 to [−ClipX0, ClipX0] at each step (Ho et al.'s
	// code clips images to [−1, 1]); 0 (default) never clips. Not used by Langevin.
	ClipX0 float64 `flag:"clip" usage:"clip x̂_0 to [−clip, clip]; 0: off"`
	// Steps is the number of steps S of the samplers that skip steps (DDIM,
	// DPM-Solver++, Heun) and Langevin's number of noise levels; default
	// [DefaultSteps]. Ancestral takes T steps by default; with 0 < Steps < T
	// it runs Algorithm 2 on the schedule respaced to the Steps indices of
	// Spacing (Nichol & Dhariwal 2021 §4, see [Respace]), the network called
	// at the original t.
	Steps int `flag:"steps,zerodefault" usage:"steps S of the samplers that skip steps / Langevin's noise levels; ancestral: all T steps, or the schedule respaced to S"`
	// SnapshotEvery > 0 records x every that many iterations (plus x_T) in
	// the returned snapshots (see [SampleConfig.Iterations]); 0 records none.
	SnapshotEvery int
	// Spacing chooses the S steps among the T of every sampler but
	// Langevin (see [Spacing]); default SpacingTrailing. Langevin always
	// uses the trailing ladder.
	Spacing Spacing `flag:"spacing" usage:"which S of the T steps a sampler that skips steps (and a respaced ancestral chain) visits: trailing (the default), leading or linspace (diffusers' timestep_spacing)"`

	// Eta is DDIM's η ∈ [0, 1]; default 0 (deterministic).
	Eta float64 `flag:"eta" usage:"DDIM η in [0, 1]"`
	// FinalAlphaBarFirst sets ᾱ_prev of DDIM's last step: false (default)
	// ᾱ_prev = 1, the clean data (diffusers' set_alpha_to_one=True); true
	// ᾱ_prev = ᾱ at array index 0 (set_alpha_to_one=False).
	FinalAlphaBarFirst bool `flag:"final-alpha-first" usage:"DDIM: the last step goes to ᾱ of the first step, not to ᾱ = 1 (diffusers' set_alpha_to_one=False)"`
	// RawEpsDirection matters only with ClipX0 > 0 in DDIM: false (default)
	// re-derives ε̂ from the clipped x̂_0 for the direction term
	// √(1−ᾱ_prev−σ²) ε̂ (guided-diffusion, and Ho et al.'s code for the
	// posterior mean); true keeps the network's ε̂ as predicted (diffusers'
	// DDIMScheduler). See [PredToX0Eps].
	RawEpsDirection bool `flag:"raw-eps" usage:"DDIM with clipping: keep the network's ε̂ in the direction term (diffusers) instead of re-deriving it from the clipped x̂_0 (guided-diffusion)"`
	// LangevinK is the number of Langevin steps per level; default
	// DefaultLangevinK.
	LangevinK int `flag:"langevin-k,zerodefault" usage:"Langevin: steps per noise level K"`
	// LangevinEps is ε in Song & Ermon's step α_i = ε σ_i²/σ_L², with
	// σ_i² = 1−ᾱ_{t_i} and σ_L the smallest level. Default σ_L², so that
	// α_i = σ_i²: each level steps by its own noise variance. (Song & Ermon
	// used α_i/σ_i² = 0.2 with K = 100; for x_0 ~ N(0.5, 0.25) the defaults
	// S = 100, K = 10 give a law within 2 % in mean and 6 % in variance,
	// see TestSamplersReproduceGaussianData.)
	LangevinEps float64 `flag:"langevin-eps,zerodefault" usage:"Langevin: ε of the step α_i = ε σ_i²/σ_L² (default σ_L²: α_i = σ_i²)"`
	// SChurn > 0 makes Heun stochastic (Karras et al. 2022, Algorithm 2):
	// at each step whose σ lies in [STMin, STMax] the noise level is first
	// raised to σ̂ = σ(1+γ), γ = min(SChurn/S, √2−1), by fresh noise of
	// scale SNoise. Default 0: Algorithm 1, deterministic.
	SChurn float64 `flag:"s-churn" usage:"Heun: S_churn ≥ 0, stochasticity of EDM's Algorithm 2 (0: deterministic Algorithm 1)"`
	// STMin and STMax bound the σ at which Heun churns (S_tmin, S_tmax,
	// in σ = √((1−ᾱ)/ᾱ)); defaults 0 and +∞ (STMax 0 stands for +∞).
	STMin float64 `flag:"s-tmin" usage:"Heun with -s-churn: churn only where σ ≥ S_tmin (σ = √((1−ᾱ)/ᾱ))"`
	STMax float64 `flag:"s-tmax,zerodefault" usage:"Heun with -s-churn: churn only where σ ≤ S_tmax (default +∞)"`
	// SNoise is Heun's S_noise, the scale of the churn noise; default
	// DefaultSNoise (Karras et al. used 1.003 to 1.007 on ImageNet).
	SNoise float64 `flag:"s-noise,zerodefault" usage:"Heun with -s-churn: S_noise, scale of the churn noise"`
}

// WithDefaults returns c with its zero fields set to their defaults for
// the schedule s: Kind Ancestral; Steps [DefaultSteps] (for Ancestral 0,
// all T steps); the sampler's own knobs at its defaults (Langevin's
// LangevinK 10 and LangevinEps σ_L², the variance of the last level, so
// that α_i = σ_i²; Heun's SNoise 1 when it churns). A kind that is not
// registered is left as it is, for [SampleConfig.Validate] to refuse.
func (c SampleConfig) WithDefaults(s *Schedule) SampleConfig {
	if c.Kind == "" {
		c.Kind = Ancestral
	}
	d, ok := lookupSampler(c.Kind)
	if !ok {
		return c
	}
	if c.Steps == 0 {
		c.Steps = d.defaultSteps(s.T)
	}
	if d.withDefaults != nil && c.Steps >= 0 && c.Steps <= s.T {
		c = d.withDefaults(c, s)
	}
	return c
}

// Validate checks c for a schedule of T steps (before or after
// [SampleConfig.WithDefaults]: a zero field is its default); the error is a
// *field.Error naming the first field that is out of range or that the
// kind of sampler does not use. A kind that is not registered is an error.
func (c SampleConfig) Validate(T int) error {
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("ddpm", "SampleConfig", name, v, want, args...)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	d, ok := lookupSampler(c.Kind)
	if !ok {
		return bad("Kind", c.Kind, "is not a sampler: use %s", samplerList())
	}
	c.Kind = d.kind
	switch {
	case c.Steps < 0 || c.Steps > T:
		return bad("Steps", c.Steps, "must lie in [1, T = %d] (0: the default)", T)
	case !finite(c.ClipX0) || c.ClipX0 < 0:
		return bad("ClipX0", c.ClipX0, "must be a finite number ≥ 0 (0: no clipping)")
	case c.Variance < FixedLarge || c.Variance > Learned:
		return bad("Variance", int(c.Variance), "is not a variance")
	case c.SnapshotEvery < 0:
		return bad("SnapshotEvery", c.SnapshotEvery, "must be ≥ 0")
	}
	switch c.Spacing {
	case "", SpacingTrailing, SpacingLeading, SpacingLinspace:
	default:
		return bad("Spacing", c.Spacing, "is not a spacing: use trailing, leading or linspace")
	}
	// Another sampler's knob, set, is refused.
	for _, k := range SamplerKnobs() {
		if k.Sampler != d.kind && k.isSet(c) {
			return bad(k.Field, k.value(c), "is %s, not for the %s sampler", k.What, d.kind)
		}
	}
	if d.validate != nil {
		if err := d.validate(c, T); err != nil {
			return err
		}
	}
	// Every float knob, each sampler's own included, as the graph gets it.
	return field.CheckFloats("ddpm", "SampleConfig", c)
}

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
// [K+1, …] (x_T first; snapshot j is x after min(j·SnapshotEvery, n)
// iterations, n = cfg.Iterations(T)). The sampler is cfg.Kind's of the
// registry, which must hold it (an unknown kind panics). cfg must already hold its defaults (see [NewSampler]).
// The network's variables must already exist in scope's store: a network
// that creates variables while the loop is built panics with a message
// saying so.
func SampleGraph(scope *model.Scope, s *Schedule, net Net, cfg SampleConfig, xT, rngState *Node) (x0, snapshots *Node) {
	return runChain(scope, mustSampler(cfg.Kind).build(scope, s, net, cfg, xT.Shape()), cfg.SnapshotEvery, xT, rngState)
}

// runChain runs ch from x_T as one graph.While loop, with snapshots every
// that many iterations when every > 0 (see [SampleGraph]).
func runChain(scope *model.Scope, ch chain, every int, xT, rngState *Node) (x0, snapshots *Node) {
	g := xT.Graph()
	shape := xT.Shape()
	n := ch.loops
	if ch.last != nil {
		n++
	}
	numSnaps := 0
	if every > 0 {
		numSnaps = (n+every-1)/every + 1
	}

	// State: step j, RNG state, x, [snapshots], the sampler's own state; the
	// network's variables ride along (gomlxfix.WhileVariables).
	init := []*Node{Const(g, int32(0)), rngState, xT}
	if numSnaps > 0 {
		snapDims := append([]int{numSnaps}, shape.Dimensions...)
		init = append(init, gomlxfix.SetRow(Zeros(g, shapes.Make(shape.DType, snapDims...)), xT, Const(g, int32(0))))
	}
	own := len(init)
	if ch.init != nil {
		init = append(init, ch.init(xT)...)
	}
	before := scope.Store().NumVariables()
	out := gomlxfix.WhileVariables(scope.Store(), init,
		func(g *Graph, ps []*Node) *Node { return LessThan(ps[0], Const(g, int32(ch.loops))) },
		func(g *Graph, ps []*Node) []*Node {
			j, rng, x := ps[0], ps[1], ps[2]
			x, rng, state := ch.step(j, x, rng, ps[own:])
			if made := scope.Store().NumVariables() - before; made > 0 {
				panicf("ddpm: the sampler's network created %d new variable(s): its weights are not in the store. Sample a store that holds them under %q: the Trainer's store, EMAStore of it, or trained.Load's (the sampler reads the network under NetScope, as the Trainer builds it)", made, "/"+NetScope)
			}
			next := AddScalar(j, 1)
			outs := []*Node{next, rng, x}
			if numSnaps > 0 {
				slot := Div(AddScalar(next, int32(every-1)), Const(g, int32(every))) // ⌈(j+1)/every⌉
				outs = append(outs, gomlxfix.SetRow(ps[3], x, slot))
			}
			return append(outs, state...)
		})
	x0 = out[2]
	if numSnaps > 0 {
		snapshots = out[3]
	}
	if ch.last != nil {
		x0 = ch.last(x0, out[1], out[own:])
		if numSnaps > 0 { // after all n iterations: the last slot
			snapshots = gomlxfix.SetRow(snapshots, x0, Const(g, int32(numSnaps-1)))
		}
	}
	if ch.denoise != nil {
		x0 = ch.denoise(x0)
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
