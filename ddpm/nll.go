package ddpm

import (
	"fmt"
	"math"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// NLLConfig configures [NLL].
type NLLConfig struct {
	Variance   VarianceKind // σ_t² of p_θ; default FixedLarge; Learned for a Σ_θ network.
	Prediction Prediction   // default PredictEps.
	ClipX0     float64      // clip x̂_0 in the reverse mean; default 0 (off).
	Seed       int64        // seeds the ε of each term's x_t.
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

// NLL evaluates the full variational bound of Ho et al. Eq. 5 on a batch x0
// (float32 [B, …], 8-bit data scaled to [−1, 1]), in bits/dim:
//
//	NLL ≤ L = L_T + Σ_{t>1} L_{t−1} + L_0
//
// with every one of the T terms computed (one network call per t, each with
// a single x_t ~ q(x_t|x_0) per example), as Ho et al.'s calc_bpd_loop.
// The bound upper-bounds the negative log-likelihood of the discretised data.
func NLL(backend compute.Backend, store *model.Store, s *Schedule, net Net, cfg NLLConfig, x0 *tensors.Tensor) (*NLLResult, error) {
	dims := x0.Shape().Dimensions
	if len(dims) < 2 || x0.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("ddpm: NLL wants x0 as float32 [B, …] with rank ≥ 2, got %s", x0.Shape())
	}
	B := dims[0]
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
	tt := make([]int32, B)
	for t := s.T - 1; t >= 0; t-- {
		for i := range tt {
			tt[i] = int32(t)
		}
		outs, err := term.Call(x0, tensors.FromValue(tt), rng)
		if err != nil {
			return nil, fmt.Errorf("ddpm: NLL term t=%d: %w", t, err)
		}
		rng = outs[1]
		for i, v := range tensors.MustCopyFlatData[float32](outs[0]) {
			res.PerExample[i] += float64(v)
			res.Terms[t] += float64(v) / float64(B)
		}
	}
	var sq float64
	for _, v := range res.PerExample {
		res.Mean += v / float64(B)
	}
	for _, v := range res.PerExample {
		sq += (v - res.Mean) * (v - res.Mean)
	}
	if B > 1 {
		res.StdErr = math.Sqrt(sq / float64(B-1) / float64(B))
	}
	return res, nil
}
