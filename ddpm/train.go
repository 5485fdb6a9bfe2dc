package ddpm

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// NetScope is the scope under which [Trainer] builds the network's variables;
// EMAScope mirrors it with the exponential moving averages of the weights.
const (
	NetScope = "net"
	EMAScope = "ema"
)

// TrainConfig configures [NewTrainer]. Zero values take the defaults given
// ([TrainConfig.WithDefaults]); [TrainConfig.Validate] says which field is
// out of range. Its JSON names are those of run.json and weight files.
type TrainConfig struct {
	// Prediction is the target of the regression; default PredictEps (Ho et al. Eq. 14).
	Prediction Prediction `json:"prediction" flag:"prediction" usage:"network target: eps, x0 or v"`
	// LearningRate is Adam's step size; default 2e-4 (Ho et al. Appendix B, CIFAR-10).
	LearningRate float64 `json:"learning_rate" flag:"lr,zerodefault" usage:"Adam learning rate"`
	// WarmupSteps ramps the learning rate linearly from 0 over this many steps;
	// default 0 (none; Ho et al. used 5000).
	// (Its flag refuses 0: a configuration that embeds TrainConfig may fill
	// a zero field from a recipe, as it does LearningRate, GradClip and
	// EMADecay.)
	WarmupSteps int `json:"warmup_steps" flag:"warmup,zerodefault" usage:"learning-rate warm-up steps"`
	// AdamBeta2 is β₂ of Adam, the decay of its average of squared
	// gradients (Kingma & Ba 2015, Algorithm 1); 0: DefaultAdamBeta2, their
	// 0.999. Issue 25 asks for 0.99 against 0.999 on short runs, after
	// EDM2 (Karras et al. 2024): a shorter average forgets the large
	// gradients of the first steps sooner.
	AdamBeta2 float64 `json:"adam_beta2,omitempty" flag:"adam-beta2,zerodefault" usage:"Adam's β₂, the decay of its average of squared gradients"`
	// GradClip > 0 rescales the gradients to this global L2 norm when larger
	// (Ho et al.'s code: 1.0); default 0 (off).
	GradClip float64 `json:"grad_clip" flag:"clip,zerodefault" usage:"gradient clipping global norm"`
	// EMADecay > 0 keeps an exponential moving average of the weights under
	// EMAScope (Ho et al.: 0.9999); default 0 (off).
	EMADecay float64 `json:"ema_decay" flag:"ema,zerodefault" usage:"EMA decay of the weights"`
	// EMAWarmup uses the decay min(EMADecay, (1+n)/(10+n)) at step n (the
	// num_updates rule of TensorFlow's ExponentialMovingAverage), so that a
	// short run's average is not dominated by its first, untrained weights;
	// default false (EMADecay from the first step).
	EMAWarmup bool `json:"ema_warmup,omitempty" flag:"ema-warmup" usage:"EMA decay min(ema, (1+n)/(10+n)) at step n: for short runs"`
	// EMALength > 0 ramps the EMA's decay with EDM2's power function
	// instead (Karras et al. 2024, "Analyzing and improving the training
	// dynamics of diffusion models", Eq. 127 as numbered in their
	// training/phema.py): min(EMADecay, (1 − 1/n)^(γ+1)) at step n (n = 1 the
	// first step), which averages the weights of the run so far with the
	// profile t^γ, whose standard deviation relative to the run's length is
	// σ_rel = EMALength (their Eq. 123: σ_rel² = (γ+1) / ((γ+2)² (γ+3));
	// γ from σ_rel by [EMAPowerExponent]). Where the cap EMADecay is not
	// reached, the average is over a fixed share of the run, however long:
	// EMAWarmup's (1+n)/(10+n) ≈ 1 − 9/n is the same ramp with γ ≈ 8, σ_rel ≈
	// 0.09. It takes EMAWarmup's place when both are set; it needs
	// EMADecay > 0 (the cap: 0.9999999 for none). Default 0 (off).
	EMALength float64 `json:"ema_length,omitempty" flag:"ema-length" usage:"EDM2's power-function EMA: the average's length relative to the run so far, σ_rel in (0, 1/√12 ≈ 0.2887] (0.09 is -ema-warmup's ramp), capped by -ema; 0: off"`
	// DecaySteps > 0 multiplies the learning rate by the cosine decay
	// ½(1 + cos(π·min(n/DecaySteps, 1))) at step n (Loshchilov & Hutter
	// 2017 without restarts, to 0 at DecaySteps), on top of the warm-up;
	// default 0 (constant after the warm-up, as Ho et al.).
	DecaySteps int `json:"lr_decay_steps,omitempty" flag:"lr-decay-steps" usage:"cosine decay of the learning rate to 0 at this step; 0: constant (a preset that decays to its end: its last step)"`
	// Seed seeds the RNG that draws t and ε; default 0.
	Seed int64 `json:"seed" flag:"seed" usage:"random seed"`
	// Devices > 1 splits every step data-parallel over that many devices of
	// the backend (see [Trainer]); 0 or 1 runs on one device. It is not part
	// of a run's identity (checkpoints do not depend on it).
	Devices int `json:"-"`
	// MinSNRGamma > 0 weights each example's loss by min-SNR-γ (Hang et al.
	// 2023, see [MinSNRWeights]; they use γ = 5); default 0: L_simple
	// unweighted (Ho et al. Eq. 14).
	MinSNRGamma float64 `json:"min_snr_gamma,omitempty" flag:"min-snr" usage:"min-SNR-γ loss weighting (Hang et al. 2023; they use 5); 0: unweighted L_simple"`
	// LearnVariance trains a network whose output is its prediction followed
	// by Σ_θ's coefficient v (2C channels: [Learned]) with L_hybrid (Nichol &
	// Dhariwal 2021, see [LHybrid]); default false: L_simple, fixed σ_t².
	LearnVariance bool `json:"learn_variance,omitempty" flag:"learn-variance" usage:"learn the reverse variances with L_hybrid (Nichol & Dhariwal 2021)"`
	// HybridLambda is λ of L_hybrid; default DefaultHybridLambda (0.001)
	// when LearnVariance is set.
	HybridLambda float64 `json:"hybrid_lambda,omitempty"`
	// VLBImportance, with LearnVariance, trains on L_vlb alone — every term
	// of the bound, the mean's gradient not stopped — with t importance-
	// sampled ([ImportanceSample], Nichol & Dhariwal's "L_vlb (resampled)");
	// default false (L_hybrid, t uniform).
	VLBImportance bool `json:"vlb_importance,omitempty" flag:"vlb-importance" usage:"with -learn-variance: train on L_vlb alone with importance-sampled t (Nichol & Dhariwal §3.1)"`
	// TimeLogSNRStd > 0 draws t with a normal log-SNR, λ ~ N(TimeLogSNRMean,
	// TimeLogSNRStd²) ([LogSNRTimes]; EDM's log-normal σ is mean 2.4, std
	// 2.4); default 0: t uniform (Algorithm 1). The loss weighting
	// (MinSNRGamma) applies on top. Not with VLBImportance.
	TimeLogSNRMean float64 `json:"t_logsnr_mean,omitempty" flag:"t-logsnr-mean" usage:"with -t-logsnr-std: the mean of the normal law of log SNR that t is drawn from (EDM: 2.4)"`
	TimeLogSNRStd  float64 `json:"t_logsnr_std,omitempty" flag:"t-logsnr-std" usage:"draw t with a normal log SNR of this spread (EDM's log-normal σ: 2.4); 0: t uniform"`
	// NumClasses > 0 trains a class-conditional network ([NewCondTrainer],
	// [Trainer.StepLabeled]) for classifier-free guidance; its labels are
	// replaced by ∅ with probability PUncond (default DefaultPUncond).
	NumClasses int     `json:"num_classes,omitempty"`
	PUncond    float64 `json:"p_uncond,omitempty" flag:"p-uncond,zerodefault" usage:"with -cond: probability of training on the null label"`
}

// DefaultAdamBeta2 is Adam's β₂ when TrainConfig.AdamBeta2 is 0 (Kingma &
// Ba 2015, Algorithm 1).
const DefaultAdamBeta2 = 0.999

// MaxEMALength is the largest TrainConfig.EMALength: σ_rel of the
// power-function profile with γ = 0 (a uniform average of the run so far),
// 1/√12 by EDM2's Eq. 123.
const MaxEMALength = 0.28867513459481287

// EMAPowerExponent is the exponent γ ≥ 0 of EDM2's power-function EMA whose
// relative standard deviation is sigmaRel in (0, MaxEMALength]: the root of
// σ_rel² = (γ+1) / ((γ+2)² (γ+3)) (Karras et al. 2024, Eq. 123; their
// Algorithm 2 takes the largest real root of the equivalent cubic
// γ³ + 7γ² + (16 − σ_rel⁻²)γ + 12 − σ_rel⁻² = 0), found by bisection on
// [0, 1e7], where σ_rel(γ) decreases.
func EMAPowerExponent(sigmaRel float64) float64 {
	rel := func(g float64) float64 { return math.Sqrt((g + 1) / ((g + 2) * (g + 2) * (g + 3))) }
	lo, hi := 0.0, 1e7
	for range 200 {
		mid := (lo + hi) / 2
		if rel(mid) > sigmaRel {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// DefaultLearningRate is TrainConfig.LearningRate's default (Ho et al.
// 2020, Appendix B: 2e-4 on CIFAR-10).
const DefaultLearningRate = 2e-4

// WithDefaults returns c with its zero fields set to their defaults.
func (c TrainConfig) WithDefaults() TrainConfig {
	if c.LearningRate == 0 {
		c.LearningRate = DefaultLearningRate
	}
	if c.LearnVariance && c.HybridLambda == 0 {
		c.HybridLambda = DefaultHybridLambda
	}
	if c.NumClasses > 0 && c.PUncond == 0 {
		c.PUncond = DefaultPUncond
	}
	return c
}

// Validate checks c (after [TrainConfig.WithDefaults]); the error is a
// *field.Error naming the first field out of range.
func (c TrainConfig) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	bad := func(name string, v any, want string, args ...any) error {
		return field.New("ddpm", "TrainConfig", name, v, want, args...)
	}
	if _, err := c.Prediction.MarshalText(); err != nil {
		return bad("Prediction", c.Prediction, "is not a target: use eps, x0 or v")
	}
	switch {
	case !finite(c.LearningRate) || c.LearningRate <= 0:
		return bad("LearningRate", c.LearningRate, "must be a finite number > 0")
	case c.WarmupSteps < 0:
		return bad("WarmupSteps", c.WarmupSteps, "must be ≥ 0")
	case !finite(c.GradClip) || c.GradClip < 0:
		return bad("GradClip", c.GradClip, "must be a finite number > 0 (0: no clipping)")
	case !finite(c.AdamBeta2) || c.AdamBeta2 < 0 || c.AdamBeta2 >= 1:
		return bad("AdamBeta2", c.AdamBeta2, "must lie in (0, 1) (0: %g)", DefaultAdamBeta2)
	case !finite(c.EMADecay) || c.EMADecay < 0 || c.EMADecay >= 1:
		return bad("EMADecay", c.EMADecay, "must lie in [0, 1) (0: no EMA)")
	case !finite(c.EMALength) || c.EMALength < 0 || c.EMALength > MaxEMALength:
		return bad("EMALength", c.EMALength, "must lie in (0, %.6g], the relative length of a power-function average with exponent γ ≥ 0 (0: off)", MaxEMALength)
	case c.EMALength > 0 && c.EMADecay == 0:
		return bad("EMALength", c.EMALength, "needs EMADecay > 0, the cap of the average's decay (0.9999999 for none)")
	case c.DecaySteps < 0:
		return bad("DecaySteps", c.DecaySteps, "must be ≥ 0 (0: no decay)")
	case c.Devices < 0:
		return bad("Devices", c.Devices, "must be ≥ 0")
	case c.MinSNRGamma != 0 && !(finite(c.MinSNRGamma) && c.MinSNRGamma > 0):
		return bad("MinSNRGamma", c.MinSNRGamma, "must be a positive finite number, or 0 for no weighting")
	case !finite(c.HybridLambda) || c.HybridLambda < 0:
		return bad("HybridLambda", c.HybridLambda, "must be a finite number ≥ 0")
	case c.VLBImportance && !c.LearnVariance:
		return bad("VLBImportance", c.VLBImportance, "trains L_vlb, which needs learned variances (LearnVariance)")
	case c.VLBImportance && c.MinSNRGamma != 0:
		return bad("VLBImportance", c.VLBImportance, "trains the bound itself, without loss weighting (MinSNRGamma)")
	case !finite(c.TimeLogSNRMean) || !finite(c.TimeLogSNRStd) || c.TimeLogSNRStd < 0:
		return bad("TimeLogSNRStd", c.TimeLogSNRStd, "must be a finite number ≥ 0 with a finite TimeLogSNRMean (0: t uniform)")
	case c.TimeLogSNRMean != 0 && c.TimeLogSNRStd == 0:
		return bad("TimeLogSNRMean", c.TimeLogSNRMean, "needs TimeLogSNRStd > 0 (the law of log SNR is normal only with a spread)")
	case c.TimeLogSNRStd > 0 && c.VLBImportance:
		return bad("TimeLogSNRStd", c.TimeLogSNRStd, "and VLBImportance both choose t: use one")
	case c.NumClasses < 0:
		return bad("NumClasses", c.NumClasses, "must be ≥ 0")
	case c.NumClasses > 0 && !(c.PUncond > 0 && c.PUncond < 1):
		return bad("PUncond", c.PUncond, "must lie in (0, 1)")
	case c.NumClasses == 0 && c.PUncond != 0:
		return bad("PUncond", c.PUncond, "is for class-conditional training (NumClasses > 0)")
	// Meaningful in the graph's float32, not only in float64: a decay or a
	// probability that rounds to 1 there would freeze the average or drop
	// every label.
	case float32(c.AdamBeta2) == 1:
		return bad("AdamBeta2", c.AdamBeta2, "rounds to 1 in float32, the precision the model runs in: use at most 0.9999999")
	case float32(c.EMADecay) == 1:
		return bad("EMADecay", c.EMADecay, "rounds to 1 in float32, the precision the model runs in: the average would never move; use at most 0.9999999")
	case float32(c.PUncond) == 1:
		return bad("PUncond", c.PUncond, "rounds to 1 in float32, the precision the model runs in: every label would be dropped")
	}
	return field.CheckFloats("ddpm", "TrainConfig", c)
}

// DataAxis is the name of the device-mesh axis that data-parallel training
// splits the batch along.
const DataAxis = "data"

// Trainer runs Algorithm 1 of Ho et al. (2020):
//
//	repeat
//	  x_0 ~ q(x_0);  t ~ Uniform({1, …, T});  ε ~ N(0, I)
//	  take a gradient step on ∇_θ ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²
//
// with Adam, optional warm-up, gradient clipping and an EMA of the weights.
// Each step is one compiled call; t and ε come from the store's RNG, so a
// run is reproducible from its seed on the same backend.
//
// With [TrainConfig.Devices] = n > 1 the step is data-parallel on GoMLX's
// distributed execution (AutoSharding over a one-axis mesh [DataAxis] of n
// devices): the batch is split in n shards along its first axis, every
// variable (weights, Adam moments, EMA, RNG state) is replicated, and the XLA
// partitioner turns the one global program into n per-device programs,
// inserting the all-reduce that sums the gradients. Because the program is
// the global one, a data-parallel step computes the same loss, draws the same
// t and ε and writes the same weights as the single-device step on the same
// global batch, up to the order of float additions; checkpoints are
// interchangeable between the two.
type Trainer struct {
	Config   TrainConfig
	Store    *model.Store
	schedule *Schedule
	net      Net
	exec     *model.Exec
	opt      optimizer.Interface
	batch    *distributed.ShardingSpec // nil on one device
	weights  []float64                 // per-step loss weights; nil: unweighted
	cond     CondNet                   // the class-conditional network of NewCondTrainer; nil otherwise
}

type gradUpdater interface {
	UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
}

// NewTrainer prepares the training step of net on store (a new store, or one
// restored from a checkpoint to resume).
func NewTrainer(backend compute.Backend, store *model.Store, s *Schedule, net Net, cfg TrainConfig) (*Trainer, error) {
	if cfg.NumClasses != 0 {
		return nil, fmt.Errorf("ddpm: TrainConfig.NumClasses=%d: a class-conditional network trains with NewCondTrainer", cfg.NumClasses)
	}
	return newTrainer(backend, store, s, net, nil, cfg)
}

// NewCondTrainer is [NewTrainer] for a class-conditional network of
// cfg.NumClasses ≥ 1 classes, trained with labels ([Trainer.StepLabeled])
// of which a share cfg.PUncond is replaced by ∅ (classifier-free guidance,
// see [Guided]). Single device only.
func NewCondTrainer(backend compute.Backend, store *model.Store, s *Schedule, net CondNet, cfg TrainConfig) (*Trainer, error) {
	if cfg.NumClasses < 1 {
		return nil, fmt.Errorf("ddpm: NewCondTrainer needs TrainConfig.NumClasses ≥ 1, got %d", cfg.NumClasses)
	}
	if cfg.Devices > 1 {
		return nil, fmt.Errorf("ddpm: a class-conditional network trains on one device, not %d", cfg.Devices)
	}
	return newTrainer(backend, store, s, nil, net, cfg)
}

func newTrainer(backend compute.Backend, store *model.Store, s *Schedule, net Net, cond CondNet, cfg TrainConfig) (*Trainer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n := backend.NumDevices(); cfg.Devices > n {
		return nil, fmt.Errorf("ddpm: TrainConfig.Devices=%d but backend %s has %d device(s): use at most %d", cfg.Devices, backend.Name(), n, n)
	}
	// A new store is seeded (its RNG, and the initialisers through
	// ParamInitialSeed); a store restored from a checkpoint keeps its RNG state,
	// so that a resumed run continues the same random stream.
	if v := store.GetVariable(model.JoinPath(model.RootScopePath, model.RNGStateVariableName)); v == nil || !v.HasValue() {
		if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
			return nil, err
		}
	}
	if _, found := store.GetParam(model.JoinPath(model.RootScopePath, model.ParamInitialSeed)); !found {
		store.SetParam(model.JoinPath(model.RootScopePath, model.ParamInitialSeed), cfg.Seed+1) // 0 would mean "random"
	}
	tr := &Trainer{Config: cfg, Store: store, schedule: s, net: net, cond: cond}
	if cfg.MinSNRGamma != 0 {
		w, err := MinSNRWeights(s, cfg.Prediction, cfg.MinSNRGamma)
		if err != nil {
			return nil, err
		}
		tr.weights = w
	}
	beta2 := cfg.AdamBeta2
	if beta2 == 0 {
		beta2 = DefaultAdamBeta2
	}
	tr.opt = optimizer.Adam().LearningRate(cfg.LearningRate).Betas(0.9, beta2).Done()
	var err error
	if cond != nil {
		tr.exec, err = model.NewExec(backend, store, tr.stepGraphCond)
	} else {
		tr.exec, err = model.NewExec(backend, store, tr.stepGraph)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Devices > 1 {
		if err := tr.distribute(cfg.Devices); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// distribute makes the step data-parallel over n devices (see [Trainer]).
func (tr *Trainer) distribute(n int) error {
	mesh, err := distributed.NewDeviceMesh([]int{n}, []string{DataAxis})
	if err != nil {
		return err
	}
	tr.batch, err = distributed.BuildSpec(mesh).S(DataAxis).Done()
	if err != nil {
		return err
	}
	replicated := distributed.NewReplicatedShardingSpec(mesh)
	tr.exec.AutoSharding(mesh).WithInputShardingSpecs(tr.batch).WithOutputShardingSpecs(replicated, replicated)
	if err := tr.exec.SetDefaultShardingSpec(replicated); err != nil {
		return err
	}
	// The RNG state variable has no store in GoMLX v0.28.0: see gomlxfix.ShardUnshardedVariables.
	_, err = gomlxfix.ShardUnshardedVariables(tr.Store, replicated)
	return err
}

// lossGraph is the loss of one batch x0 [B, …] with t and ε drawn from
// scope's RNG (Algorithm 1, lines 2–5): L_simple (Eq. 14) for the objective
// of cfg (with its defaults):
// per-step weights (see [LSimpleWeighted]), t drawn uniformly or by
// [LogSNRTimes], L_hybrid of a learned-variance network ([LHybrid]), or the
// importance-sampled L_vlb of one.
func lossGraph(scope *model.Scope, s *Schedule, net Net, cfg TrainConfig, x0 *Node, weights []float64) *Node {
	g := x0.Graph()
	B := x0.Shape().Dimensions[0]
	pred := cfg.Prediction
	if cfg.VLBImportance {
		t, invP, record := ImportanceSample(scope.Store().Scope("/ddpm"), g, s.T, B)
		eps := gomlxfix.ScopeRandomNormal(scope, g, x0.Shape())
		xt := QSample(s, x0, t, eps)
		p, v := SplitLearned(net(scope.In(NetScope), xt, t))
		terms := VLBTermLogVarBPD(s, pred, p, LearnedLogVariance(s, v, t), x0, xt, t, 0) // [B]
		record(terms)
		return ReduceAllMean(Mul(terms, ConvertDType(invP, terms.DType())))
	}
	var t *Node
	if cfg.TimeLogSNRStd > 0 {
		t = LogSNRTimes(scope, g, s, B, cfg.TimeLogSNRMean, cfg.TimeLogSNRStd)
	} else {
		t = gomlxfix.ScopeRandomIntN(scope, g, s.T, shapes.Make(dtypes.Int32, B)) // t ~ Uniform({0, …, T−1}), array indices
	}
	eps := gomlxfix.ScopeRandomNormal(scope, g, x0.Shape())
	xt := QSample(s, x0, t, eps)
	out := net(scope.In(NetScope), xt, t)
	if cfg.LearnVariance {
		return LHybrid(s, pred, out, x0, eps, xt, t, cfg.HybridLambda, weights)
	}
	return LSimpleWeighted(s, pred, out, x0, eps, t, weights)
}

func (tr *Trainer) stepGraph(scope *model.Scope, x0 *Node) (loss, gradNorm *Node) {
	return tr.step(scope, x0, tr.net)
}

// stepGraphCond is the step of a class-conditional network on labels y [B]
// int32, of which a share PUncond is replaced by ∅ first.
func (tr *Trainer) stepGraphCond(scope *model.Scope, x0, y *Node) (loss, gradNorm *Node) {
	y = dropLabels(scope, y, tr.Config.NumClasses, tr.Config.PUncond)
	return tr.step(scope, x0, func(scope *model.Scope, xt, t *Node) *Node { return tr.cond(scope, xt, t, y) })
}

func (tr *Trainer) step(scope *model.Scope, x0 *Node, net Net) (loss, gradNorm *Node) {
	g := x0.Graph()
	cfg := tr.Config
	model.GetStore(g).SetTraining(g, true)
	loss = lossGraph(scope, tr.schedule, net, cfg, x0, tr.weights)

	stepVar := scope.In("ddpm").VariableWithValue("step", int64(0)).SetTrainable(false)
	step := AddScalar(stepVar.NodeValue(g), 1)
	stepVar.SetNodeValue(step)

	netScope := scope.Store().Scope("/" + NetScope) // lossGraph already entered scope.In(NetScope)
	grads := netScope.BuildTrainableVariablesGradientsGraph(loss)
	// The global norm is summed in variable-path order: the store iterates in
	// insertion order, which differs between a fresh store and one restored
	// from a checkpoint, and float32 addition is not associative — summing in
	// iteration order broke bit-exact resume.
	var paths []string
	for v := range netScope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			paths = append(paths, v.Path())
		}
	}
	order := make([]int, len(grads))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return paths[order[a]] < paths[order[b]] })
	sq := ScalarZero(g, loss.DType())
	for _, i := range order {
		sq = Add(sq, ReduceAllSum(Square(grads[i])))
	}
	gradNorm = Sqrt(sq)
	if cfg.GradClip > 0 {
		scale := Min(ScalarOne(g, loss.DType()), Div(ConstAs(gradNorm, cfg.GradClip), AddScalar(gradNorm, 1e-6)))
		for i := range grads {
			grads[i] = Mul(grads[i], scale)
		}
	}
	lr := ConstAs(loss, cfg.LearningRate)
	if cfg.WarmupSteps > 0 {
		frac := Div(ConvertDType(step, loss.DType()), ConstAs(loss, float64(cfg.WarmupSteps)))
		lr = Mul(lr, Min(frac, OnesLike(frac)))
	}
	if cfg.DecaySteps > 0 {
		frac := Min(Div(ConvertDType(step, loss.DType()), ConstAs(loss, float64(cfg.DecaySteps))), ScalarOne(g, loss.DType()))
		lr = Mul(lr, MulScalar(OnePlus(Cos(MulScalar(frac, math.Pi))), 0.5))
	}
	// Adam reads its learning rate under the scope it updates (netScope): the
	// warm-up must write that variable, not the root scope's.
	optimizer.LearningRateVar(netScope, loss.DType(), cfg.LearningRate).SetNodeValue(lr)
	tr.opt.(gradUpdater).UpdateGraphWithGradients(netScope, grads, loss.DType())

	if cfg.EMADecay > 0 {
		store := model.GetStore(g)
		first := Equal(step, OnesLike(step))
		decay := ConstAs(loss, cfg.EMADecay)
		switch n := ConvertDType(step, loss.DType()); {
		case cfg.EMALength > 0:
			// (1 − 1/n)^(γ+1) as exp((γ+1)·log1p(−1/n)): 0 at n = 1 (the
			// average starts at the weights, as first does below).
			decay = Min(decay, Exp(MulScalar(Log1p(Neg(Reciprocal(n))), EMAPowerExponent(cfg.EMALength)+1)))
		case cfg.EMAWarmup:
			decay = Min(decay, Div(OnePlus(n), AddScalar(n, 10)))
		}
		for v := range netScope.IterVariables() {
			if !v.Trainable {
				continue
			}
			w := v.NodeValue(g)
			emaPath := model.JoinPath(model.RootScopePath, EMAScope, strings.TrimPrefix(v.Path(), model.RootScopePath))
			ev := store.GetVariable(emaPath)
			if ev == nil {
				ev = store.VariableWithShape(emaPath, w.Shape(), Zeros).SetTrainable(false)
			}
			old := ev.NodeValue(g)
			d := ConvertDType(decay, w.DType())
			upd := Add(Mul(old, d), Mul(w, OneMinus(d)))
			ev.SetNodeValue(Where(first, w, upd))
		}
	}
	return loss, gradNorm
}

// Step runs one training step on the batch x0 (float32 [B, …], data scaled
// to [−1, 1] for images) and returns the batch loss and the gradient norm
// before clipping.
//
// On n > 1 devices the batch size must be a multiple of n.
func (tr *Trainer) Step(x0 *tensors.Tensor) (loss, gradNorm float64, err error) {
	if tr.cond != nil {
		return 0, 0, fmt.Errorf("ddpm: a class-conditional trainer steps with labels: use StepLabeled")
	}
	if tr.batch == nil {
		l, gn, err := tr.exec.Call2(x0)
		if err != nil {
			return 0, 0, err
		}
		return scalarFloat(l), scalarFloat(gn), nil
	}
	n := tr.Config.Devices
	if x0.Rank() == 0 || x0.Shape().Dimensions[0]%n != 0 {
		return 0, 0, fmt.Errorf("ddpm: data-parallel step over %d devices needs a batch size divisible by %d, got shape %s", n, n, x0.Shape())
	}
	dx, err := dtensor.ShardTensor(tr.batch, x0)
	if err != nil {
		return 0, 0, err
	}
	out, err := tr.exec.DistributedExec(dx)
	if err != nil {
		return 0, 0, err
	}
	// Loss and norm are replicated: every shard holds the same scalar.
	return scalarFloat(out[0].Shards()[0]), scalarFloat(out[1].Shards()[0]), nil
}

// StepLabeled is [Trainer.Step] for a class-conditional trainer
// ([NewCondTrainer]): x0 [B, …] with its labels y [B] int32 in
// [0, NumClasses).
func (tr *Trainer) StepLabeled(x0, y *tensors.Tensor) (loss, gradNorm float64, err error) {
	if tr.cond == nil {
		return 0, 0, fmt.Errorf("ddpm: StepLabeled needs a class-conditional trainer (NewCondTrainer)")
	}
	if y.DType() != dtypes.Int32 || y.Rank() != 1 || x0.Rank() == 0 || y.Shape().Dimensions[0] != x0.Shape().Dimensions[0] {
		return 0, 0, fmt.Errorf("ddpm: StepLabeled wants one int32 label per example: x0 %s, labels %s", x0.Shape(), y.Shape())
	}
	l, gn, err := tr.exec.Call2(x0, y)
	if err != nil {
		return 0, 0, err
	}
	return scalarFloat(l), scalarFloat(gn), nil
}

// Devices is the number of devices a step runs on.
func (tr *Trainer) Devices() int { return max(tr.Config.Devices, 1) }

// GlobalStep is the number of training steps taken by this store.
func (tr *Trainer) GlobalStep() int64 {
	v := tr.Store.GetVariable("/ddpm/step")
	if v == nil {
		return 0
	}
	return tensors.ToScalar[int64](v.MustValue())
}

func scalarFloat(t *tensors.Tensor) float64 {
	switch t.DType() {
	case dtypes.Float32:
		return float64(tensors.ToScalar[float32](t))
	case dtypes.Float64:
		return tensors.ToScalar[float64](t)
	}
	return math.NaN()
}

// EMAStore returns a copy of store in which each network variable holds its
// exponential moving average (from [TrainConfig.EMADecay]), ready for
// sampling. It errors if the store has no EMA.
func EMAStore(store *model.Store) (*model.Store, error) {
	out, err := store.Clone()
	if err != nil {
		return nil, err
	}
	n := 0
	prefix := model.JoinPath(model.RootScopePath, NetScope) + model.ScopeSeparator
	for v := range out.IterVariables() {
		if !strings.HasPrefix(v.Path(), prefix) {
			continue
		}
		ev := store.GetVariable(model.JoinPath(model.RootScopePath, EMAScope, strings.TrimPrefix(v.Path(), model.RootScopePath)))
		if ev == nil {
			continue
		}
		val, err := ev.Value()
		if err != nil {
			return nil, err
		}
		clone, err := val.LocalClone()
		if err != nil {
			return nil, err
		}
		if err := v.SetValue(clone); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("ddpm: the store has no EMA weights: train with TrainConfig.EMADecay > 0")
	}
	return out, nil
}
