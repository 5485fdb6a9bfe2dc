package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// NLLConfig configures [NLL].
type NLLConfig struct {
	Variance   VarianceKind // σ_t² of p_θ; default FixedLarge; Learned for a Σ_θ network.
	Prediction Prediction   // default PredictEps.
	ClipX0     float64      // clip x̂_0 in the reverse mean; default 0 (off).
	Seed       int64        // seeds the ε of each term's x_t (and, with Stride > 1, the strata's draws of t).
	// Stride k > 1 evaluates one L_{t−1} term in each block of k
	// consecutive t, weighted by k (a stratified estimate, see [NLL]);
	// default 1: every term, the full bound.
	Stride int
}

// NLLResult is the variational bound of a batch, in bits/dim.
type NLLResult struct {
	PerExample []float64 // L_T + Σ_t L_{t−1} + L_0 for each example, bits/dim
	Terms      []float64 // batch mean of each term by array index t (Terms[0] = L_0, the decoder)
	Prior      float64   // batch mean of L_T
	Mean       float64   // mean of PerExample
	StdErr     float64   // its standard error over the examples
}

// NLLTerm is the term of the bound at array indices t [B] for the
// network's output out at x_t, in bits/dim: [VLBTermBPD] at the fixed
// variance cfg.Variance, or for Learned [VLBTermLogVarBPD] at the
// network's Σ_θ ([LearnedLogVariance]).
func NLLTerm(s *Schedule, cfg NLLConfig, out, x0, xt, t *Node) *Node {
	if cfg.Variance == Learned {
		p, v := SplitLearned(out)
		return VLBTermLogVarBPD(s, cfg.Prediction, p, LearnedLogVariance(s, v, t), x0, xt, t, cfg.ClipX0)
	}
	return VLBTermBPD(s, cfg.Variance, cfg.Prediction, out, x0, xt, t, cfg.ClipX0)
}

// NLL evaluates the variational bound of Ho et al. Eq. 5 on a batch x0
// (float32 [B, …], 8-bit data scaled to [−1, 1]), in bits/dim:
//
//	NLL ≤ L = L_T + Σ_{t>1} L_{t−1} + L_0
//
// With cfg.Stride = 1 (the default) every one of the T terms is computed
// (one network call per t, each with a single x_t ~ q(x_t|x_0) per
// example), as Ho et al.'s calc_bpd_loop. With Stride = k > 1 only about
// one in k of the T − 1 terms L_{t−1}, t ≥ 2, is evaluated:
//
//	L ≈ L_T + Σ_j |S_j| · L_{t_j − 1} + L_0,   t_j ~ Uniform(S_j) per example,
//
// where the array indices 1 … T−1 of the KL terms are cut, from the top,
// into strata S_j of k consecutive indices (the last may be shorter), and
// each example draws its own index t_j in each stratum (from PCG(cfg.Seed,
// 2)) and weighs that term by the stratum's size |S_j|. This is stratified
// sampling of the sum: for each example its expectation over the draws of
// t is the full sum, so the estimate is unbiased, and its cost is
// ⌈(T−1)/k⌉ + 1 network calls instead of T. StdErr is then the standard
// error over the examples only (each example's own draws of t and ε add to
// its spread, so they are counted). The prior L_T and the decoder L_0
// (index 0) are always exact; stride 1 draws nothing extra, so it is the
// full bound with the same noise. Terms[t] holds the batch mean of the
// weighted terms drawn at index t (so Prior + Σ_t Terms[t] = Mean).
//
// The network reads its variables under [NetScope] of store, as the
// [Trainer] made them.
func NLL(backend compute.Backend, store *model.Store, s *Schedule, net Net, cfg NLLConfig, x0 *tensors.Tensor) (*NLLResult, error) {
	if backend == nil || store == nil || s == nil || net == nil || x0 == nil {
		return nil, fmt.Errorf("ddpm: NLL needs a backend, a store, a schedule, a network and x0: got a nil one (backend %t, store %t, schedule %t, net %t, x0 %t)",
			backend != nil, store != nil, s != nil, net != nil, x0 != nil)
	}
	dims := x0.Shape().Dimensions
	if len(dims) < 2 || x0.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("ddpm: NLL wants x0 as float32 [B, …] with rank ≥ 2, got %s", x0.Shape())
	}
	stride := cfg.Stride
	if stride == 0 {
		stride = 1
	}
	if stride < 1 {
		return nil, field.New("ddpm", "NLLConfig", "Stride", stride, "must be ≥ 1 (1: the full bound)")
	}
	B := dims[0]
	net = netIn(net)
	term, err := model.NewExec(backend, store, func(scope *model.Scope, x0, t, rng *Node) (*Node, *Node) {
		rng, eps := gomlxfix.RandomNormal(rng, x0.Shape())
		xt := QSample(s, x0, t, eps)
		return NLLTerm(s, cfg, net(scope, xt, t), x0, xt, t), rng
	})
	if err != nil {
		return nil, err
	}
	prior, err := CallOnce(backend, func(x0 *Node) *Node { return PriorBPD(s, x0) }, x0)
	if err != nil {
		return nil, err
	}
	rng, err := RNGStateFromSeed(cfg.Seed)
	if err != nil {
		return nil, err
	}
	res := &NLLResult{PerExample: make([]float64, B), Terms: make([]float64, s.T)}
	for i, p := range tensors.MustCopyFlatData[float32](prior) {
		res.PerExample[i] = float64(p)
		res.Prior += float64(p) / float64(B)
	}
	pick := rand.New(rand.NewPCG(uint64(cfg.Seed), 2))
	tt := make([]int32, B)
	call := func(lo, hi int) error {
		w := float64(hi - lo + 1)
		for i := range tt {
			tt[i] = int32(hi)
			if hi > lo {
				tt[i] = int32(lo + pick.IntN(hi-lo+1))
			}
		}
		outs, err := term.Call(x0, tensors.FromValue(tt), rng)
		if err != nil {
			return fmt.Errorf("ddpm: NLL term t ∈ [%d, %d]: %w", lo, hi, err)
		}
		rng = outs[1]
		for i, v := range tensors.MustCopyFlatData[float32](outs[0]) {
			res.PerExample[i] += w * float64(v)
			res.Terms[tt[i]] += w * float64(v) / float64(B)
		}
		return nil
	}
	for hi := s.T - 1; hi >= 1; hi -= stride {
		if err := call(max(1, hi-stride+1), hi); err != nil {
			return nil, err
		}
	}
	if err := call(0, 0); err != nil { // L_0, the decoder
		return nil, err
	}
	res.Mean, res.StdErr = meanStdErr(res.PerExample)
	return res, nil
}

// meanStdErr is the mean of v and its standard error √(s²/n), s² the
// unbiased sample variance (0 for fewer than two values).
func meanStdErr(v []float64) (mean, stderr float64) {
	n := float64(len(v))
	for _, x := range v {
		mean += x / n
	}
	if len(v) < 2 {
		return mean, 0
	}
	var sq float64
	for _, x := range v {
		sq += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sq / (n - 1) / n)
}
