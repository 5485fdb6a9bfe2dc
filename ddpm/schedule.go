package ddpm

import (
	"fmt"
	"math"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/field"
)

// ScheduleKind names a family of variance schedules β_1 … β_T.
type ScheduleKind string

const (
	// LinearSchedule is Ho et al. (2020) §4: β_t linear from BetaStart to BetaEnd
	// (1e-4 to 0.02 for T = 1000).
	LinearSchedule ScheduleKind = "linear"
	// CosineSchedule is Nichol & Dhariwal (2021) Eq. 17: ᾱ(t) = f(t)/f(0) with
	// f(t) = cos²(((t/T)+s)/(1+s) · π/2), β_t = min(1 − ᾱ_t/ᾱ_{t−1}, MaxBeta).
	CosineSchedule ScheduleKind = "cosine"
	// QuadraticSchedule is Ho et al.'s "quad" schedule from their code:
	// β_t = (linspace(√BetaStart, √BetaEnd, T))².
	QuadraticSchedule ScheduleKind = "quadratic"
	// SigmoidSchedule is the schedule of diffusers / GeoDiff (Xu et al. 2022):
	// β_t = σ(linspace(−6, 6, T)) · (BetaEnd − BetaStart) + BetaStart.
	SigmoidSchedule ScheduleKind = "sigmoid"
)

// ScheduleKinds lists the kinds [NewSchedule] accepts.
var ScheduleKinds = []ScheduleKind{LinearSchedule, CosineSchedule, QuadraticSchedule, SigmoidSchedule}

// ScheduleConfig configures [NewSchedule]. The zero value of each field means
// its default, given in its comment.
type ScheduleConfig struct {
	// Kind: default LinearSchedule, the schedule of Ho et al. (2020).
	Kind ScheduleKind `flag:"schedule" usage:"noise schedule: linear, cosine, quadratic or sigmoid"`
	// T is the number of diffusion steps; default 1000 (Ho et al. §4).
	T int `flag:"T,zerodefault" usage:"diffusion steps"`
	// BetaStart, BetaEnd: β_1 and β_T of the linear, quadratic and sigmoid
	// kinds; default 1e-4 and 0.02 (Ho et al. §4). Unused by CosineSchedule.
	BetaStart float64 `flag:"beta-start,zerodefault" usage:"β_1 of linear/quadratic/sigmoid, in (0, 1)"`
	BetaEnd   float64 `flag:"beta-end,zerodefault" usage:"β_T of linear/quadratic/sigmoid, in (0, 1)"`
	// Rescale multiplies BetaStart and BetaEnd by 1000/T, so that a schedule
	// with fewer (or more) steps covers the same total noise as Ho et al.'s
	// T = 1000 (Nichol & Dhariwal 2021, §3.2 and their code). Default off.
	Rescale bool `flag:"rescale" usage:"multiply β_1, β_T by 1000/T"`
	// CosineS is the offset s of the cosine schedule; default 0.008
	// (Nichol & Dhariwal, so that √β_1 is a bit smaller than a pixel bin 1/127.5).
	CosineS float64
	// MaxBeta clips β_t of the cosine schedule; default 0.999
	// (Nichol & Dhariwal, to avoid a singularity at t = T).
	MaxBeta float64
}

// The defaults of [ScheduleConfig], the one place that states them
// ([ScheduleConfig.WithDefaults] applies them; recipe.Config and the
// command line's help read them there).
const (
	DefaultScheduleKind = LinearSchedule // Ho et al. (2020)
	DefaultT            = 1000           // Ho et al. §4
	DefaultBetaStart    = 1e-4           // Ho et al. §4
	DefaultBetaEnd      = 0.02           // Ho et al. §4
	DefaultCosineS      = 0.008          // Nichol & Dhariwal (2021)
	DefaultMaxBeta      = 0.999          // Nichol & Dhariwal (2021)
)

// WithDefaults returns c with its zero fields set to their defaults (as
// [NewSchedule] completes it).
func (c ScheduleConfig) WithDefaults() ScheduleConfig {
	if c.Kind == "" {
		c.Kind = DefaultScheduleKind
	}
	if c.T == 0 {
		c.T = DefaultT
	}
	if c.BetaStart == 0 {
		c.BetaStart = DefaultBetaStart
	}
	if c.BetaEnd == 0 {
		c.BetaEnd = DefaultBetaEnd
	}
	if c.CosineS == 0 {
		c.CosineS = DefaultCosineS
	}
	if c.MaxBeta == 0 {
		c.MaxBeta = DefaultMaxBeta
	}
	return c
}

// Schedule holds the float64 host tables of a variance schedule and every
// quantity derived from it. Index convention: array index i holds the value
// at paper step t = i+1 (so Betas[0] is β_1 and Betas[T−1] is β_T).
// Graph code casts these tables to the graph's dtype when it is built.
type Schedule struct {
	Kind ScheduleKind
	T    int

	Betas         []float64 // β_t.
	Alphas        []float64 // α_t = 1 − β_t.
	AlphasBar     []float64 // ᾱ_t = ∏_{s≤t} α_s (Ho et al., below Eq. 4).
	AlphasBarPrev []float64 // ᾱ_{t−1}, with ᾱ_0 = 1 at index 0.

	SqrtAlphasBar          []float64 // √ᾱ_t: mean coefficient of Eq. 4.
	SqrtOneMinusAlphasBar  []float64 // √(1−ᾱ_t): standard deviation of Eq. 4.
	SqrtRecipAlphas        []float64 // 1/√α_t (Eq. 11, Algorithm 2).
	SqrtRecipAlphasBar     []float64 // 1/√ᾱ_t: x̂_0 = x_t/√ᾱ_t − √(1/ᾱ_t − 1) ε (from Eq. 4).
	SqrtRecipM1AlphasBar   []float64 // √(1/ᾱ_t − 1).
	EpsCoef                []float64 // β_t/√(1−ᾱ_t): multiplies ε_θ in Eq. 11.
	SNR                    []float64 // ᾱ_t/(1−ᾱ_t), signal-to-noise ratio (Kingma et al. 2021).
	PosteriorVariance      []float64 // β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) β_t (Eq. 7); β̃_1 = 0.
	PosteriorLogVarClipped []float64 // log β̃_t with β̃_1 replaced by β̃_2 (Ho et al.'s code), finite everywhere.
	PosteriorMeanCoef1     []float64 // √ᾱ_{t−1} β_t/(1−ᾱ_t): multiplies x_0 in μ̃_t (Eq. 7).
	PosteriorMeanCoef2     []float64 // √α_t (1−ᾱ_{t−1})/(1−ᾱ_t): multiplies x_t in μ̃_t (Eq. 7).
}

// MaxT bounds the number of diffusion steps: 100 times Ho et al.'s T = 1000.
// Its tables take 136 bytes per step on the host, and sampling takes T
// network calls, so a larger T is almost surely a typo (20,000,000 took 9 GB
// and made no progress).
const MaxT = 100_000

// NewSchedule builds a schedule from cfg (zero fields take their defaults).
// It returns an error naming the parameter and its allowed range when cfg is
// invalid: T < 1, an unknown kind, or a β_t outside (0, 1).
func NewSchedule(cfg ScheduleConfig) (*Schedule, error) {
	cfg = cfg.WithDefaults()
	if cfg.T < 1 || cfg.T > MaxT {
		return nil, field.New("ddpm", "ScheduleConfig", "T", cfg.T, "must lie in [1, %d] (MaxT)", MaxT)
	}
	start, end := cfg.BetaStart, cfg.BetaEnd
	if cfg.Rescale {
		scale := 1000 / float64(cfg.T)
		start, end = start*scale, end*scale
	}
	T := cfg.T
	betas := make([]float64, T)
	switch cfg.Kind {
	case LinearSchedule, QuadraticSchedule, SigmoidSchedule:
		for name, b := range map[string]float64{"BetaStart": start, "BetaEnd": end} {
			if !(b > 0 && b < 1) {
				extra := ""
				if cfg.Rescale {
					extra = fmt.Sprintf(" after rescaling by 1000/T=%g", 1000/float64(T))
				}
				return nil, field.New("ddpm", "ScheduleConfig", name, b, "must lie in (0, 1) for the %s schedule%s", cfg.Kind, extra)
			}
		}
		for i := range T {
			u := 0.0 // position in [0,1] along the schedule
			if T > 1 {
				u = float64(i) / float64(T-1)
			}
			switch cfg.Kind {
			case LinearSchedule:
				betas[i] = start + u*(end-start)
			case QuadraticSchedule:
				s := math.Sqrt(start) + u*(math.Sqrt(end)-math.Sqrt(start))
				betas[i] = s * s
			case SigmoidSchedule:
				x := -6 + 12*u
				betas[i] = 1/(1+math.Exp(-x))*(end-start) + start
			}
		}
	case CosineSchedule:
		if !(cfg.CosineS > 0) {
			return nil, fmt.Errorf("ddpm: cosine schedule CosineS=%g is out of range: it must be > 0", cfg.CosineS)
		}
		if !(cfg.MaxBeta > 0 && cfg.MaxBeta < 1) {
			return nil, fmt.Errorf("ddpm: cosine schedule MaxBeta=%g is out of range: it must lie in (0, 1)", cfg.MaxBeta)
		}
		f := func(t float64) float64 {
			c := math.Cos((t/float64(T) + cfg.CosineS) / (1 + cfg.CosineS) * math.Pi / 2)
			return c * c
		}
		for i := range T { // paper step t = i+1: β_t = 1 − ᾱ(t)/ᾱ(t−1) = 1 − f(t)/f(t−1).
			betas[i] = math.Min(1-f(float64(i+1))/f(float64(i)), cfg.MaxBeta)
		}
	default:
		return nil, field.New("ddpm", "ScheduleConfig", "Kind", cfg.Kind, "is not a schedule: use one of %s", kindList())
	}
	s, err := ScheduleFromBetas(betas)
	if err != nil {
		return nil, err
	}
	s.Kind = cfg.Kind
	return s, nil
}

// MustNewSchedule is [NewSchedule] that panics on error, for notebooks and examples.
func MustNewSchedule(cfg ScheduleConfig) *Schedule {
	s, err := NewSchedule(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

func kindList() string {
	names := make([]string, len(ScheduleKinds))
	for i, k := range ScheduleKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// ScheduleFromBetas builds a schedule from any β_1 … β_T (array index i ↔ step
// t = i+1) and derives every table. Each β_t must lie in (0, 1), which makes
// ᾱ_t strictly decreasing; the error names the first offending index.
func ScheduleFromBetas(betas []float64) (*Schedule, error) {
	T := len(betas)
	if T < 1 {
		return nil, fmt.Errorf("ddpm: schedule needs at least one β (T ≥ 1), got none")
	}
	for i, b := range betas {
		if !(b > 0 && b < 1) {
			return nil, fmt.Errorf("ddpm: β at index %d (paper step t=%d) is %g: every β_t must lie in (0, 1)", i, i+1, b)
		}
	}
	s := &Schedule{Kind: "custom", T: T}
	mk := func() []float64 { return make([]float64, T) }
	s.Betas = append([]float64(nil), betas...)
	s.Alphas, s.AlphasBar, s.AlphasBarPrev = mk(), mk(), mk()
	s.SqrtAlphasBar, s.SqrtOneMinusAlphasBar, s.SqrtRecipAlphas = mk(), mk(), mk()
	s.SqrtRecipAlphasBar, s.SqrtRecipM1AlphasBar, s.EpsCoef, s.SNR = mk(), mk(), mk(), mk()
	s.PosteriorVariance, s.PosteriorLogVarClipped = mk(), mk()
	s.PosteriorMeanCoef1, s.PosteriorMeanCoef2 = mk(), mk()
	prod := 1.0
	for i, b := range betas {
		a := 1 - b
		s.Alphas[i] = a
		s.AlphasBarPrev[i] = prod // ᾱ_{t−1}, ᾱ_0 = 1
		prod *= a                 // ᾱ_t = ∏_{s≤t} α_s
		s.AlphasBar[i] = prod
	}
	for i := 1; i < T; i++ {
		if !(s.AlphasBar[i] < s.AlphasBar[i-1]) || !(s.AlphasBar[i] > 0) {
			return nil, fmt.Errorf("ddpm: ᾱ at index %d is %g, not strictly decreasing and positive (β too close to 0 or 1 for float64)", i, s.AlphasBar[i])
		}
	}
	for i := range T {
		ab, abPrev, a, b := s.AlphasBar[i], s.AlphasBarPrev[i], s.Alphas[i], s.Betas[i]
		s.SqrtAlphasBar[i] = math.Sqrt(ab)
		s.SqrtOneMinusAlphasBar[i] = math.Sqrt(1 - ab)
		s.SqrtRecipAlphas[i] = 1 / math.Sqrt(a)
		s.SqrtRecipAlphasBar[i] = 1 / math.Sqrt(ab)
		s.SqrtRecipM1AlphasBar[i] = math.Sqrt(1/ab - 1)
		s.EpsCoef[i] = b / math.Sqrt(1-ab)
		s.SNR[i] = ab / (1 - ab)
		s.PosteriorVariance[i] = (1 - abPrev) / (1 - ab) * b
		s.PosteriorMeanCoef1[i] = math.Sqrt(abPrev) * b / (1 - ab)
		s.PosteriorMeanCoef2[i] = math.Sqrt(a) * (1 - abPrev) / (1 - ab)
	}
	for i := range T {
		v := s.PosteriorVariance[i]
		if i == 0 { // β̃_1 = 0: Ho et al.'s code uses β̃_2 for the log (a constant never used as a variance).
			if T > 1 {
				v = s.PosteriorVariance[1]
			} else {
				v = s.Betas[0]
			}
		}
		s.PosteriorLogVarClipped[i] = math.Log(v)
	}
	return s, nil
}

// ReverseVariance returns the variance σ_t² of p_θ(x_{t−1}|x_t) for a fixed
// (not learned) choice (Ho et al. §3.2): [FixedLarge] σ_t² = β_t, except at
// t = 1 where Ho et al.'s code uses β̃_2 so that the decoder's log-variance
// stays finite; [FixedSmall] σ_t² = β̃_t (zero at t = 1). Index i ↔ t = i+1.
func (s *Schedule) ReverseVariance(kind VarianceKind) []float64 {
	if kind == Learned {
		panicf("ddpm: Schedule.ReverseVariance: the Learned variance is the network's (see LearnedLogVariance), not a table")
	}
	v := make([]float64, s.T)
	switch kind {
	case FixedSmall:
		copy(v, s.PosteriorVariance)
	default:
		copy(v, s.Betas)
		if s.T > 1 {
			v[0] = s.PosteriorVariance[1]
		}
	}
	return v
}

// ReverseLogVariance is log σ_t² of [Schedule.ReverseVariance], finite at t = 1
// for both kinds (FixedSmall uses the clipped log β̃ of Ho et al.'s code).
func (s *Schedule) ReverseLogVariance(kind VarianceKind) []float64 {
	if kind == FixedSmall {
		return append([]float64(nil), s.PosteriorLogVarClipped...)
	}
	v := s.ReverseVariance(kind)
	for i := range v {
		v[i] = math.Log(v[i])
	}
	return v
}

// VarianceKind selects the fixed reverse-process variance σ_t² (Ho et al. §3.2).
type VarianceKind int

const (
	// FixedLarge is σ_t² = β_t, optimal for x_0 ~ N(0, I) (Ho et al. §3.2);
	// it is the one Algorithm 2 samples with in Ho et al.'s CIFAR-10 runs.
	FixedLarge VarianceKind = iota
	// FixedSmall is σ_t² = β̃_t, optimal for a deterministic x_0 (Ho et al. §3.2).
	FixedSmall
	// Learned is Σ_θ of Nichol & Dhariwal (2021), §3.1: the network outputs,
	// after its prediction, an interpolation coefficient v per dimension (see
	// [LearnedLogVariance], [SplitLearned]). It is no fixed table:
	// [Schedule.ReverseVariance] does not take it.
	Learned
)

// MarshalText writes the variance as the command line names it: large
// (β_t), small (β̃_t) or learned.
func (k VarianceKind) MarshalText() ([]byte, error) {
	switch k {
	case FixedLarge:
		return []byte("large"), nil
	case FixedSmall:
		return []byte("small"), nil
	case Learned:
		return []byte("learned"), nil
	}
	return nil, fmt.Errorf("ddpm: unknown VarianceKind %d", int(k))
}

// UnmarshalText reads large, small or learned.
func (k *VarianceKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "large":
		*k = FixedLarge
	case "small":
		*k = FixedSmall
	case "learned":
		*k = Learned
	default:
		return fmt.Errorf("variance %q: use large (β_t) or small (β̃_t)", b)
	}
	return nil
}

func (k VarianceKind) String() string {
	switch k {
	case FixedSmall:
		return "fixed-small(β̃)"
	case Learned:
		return "learned(Σθ)"
	}
	return "fixed-large(β)"
}
