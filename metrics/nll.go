package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// NLLStrided evaluates the variational bound of Ho et al. (2020) Eq. 5 on a
// batch x0 (float32 [B, …], 8-bit data scaled to [−1, 1]), in bits/dim, like
// ddpm.NLL but with only about one in stride of the T − 1 terms L_{t−1}, t ≥ 2:
//
//	L = L_T + Σ_{t=2}^{T} L_{t−1} + L_0
//	  ≈ L_T + Σ_j |S_j| · L_{t_j − 1} + L_0,   t_j ~ Uniform(S_j) per example,
//
// where the array indices 1 … T−1 of the KL terms are cut, from the top, into
// strata S_j of stride consecutive indices (the last may be shorter), and each
// example draws its own index t_j in each stratum (from PCG(cfg.Seed, 2)) and
// weighs that term by the stratum's size |S_j| (= stride, except for the
// last). This is stratified sampling of the sum: for each example its
// expectation over the draws of t is the full sum, so the estimate is
// unbiased, and its cost is ⌈(T−1)/stride⌉ + 1 network calls instead of T.
// It is an estimate: StdErr is the standard error over the examples only
// (each example's own draws of t and ε add to its spread, so they are
// counted, but the bound's dependence on the particular x_0 is not separated
// from them). The prior L_T and the decoder L_0 (index 0) are always exact.
//
// stride = 1 evaluates every term in the order of ddpm.NLL, with the same
// random noise: the result equals ddpm.NLL's. Terms[t] holds the batch mean
// of the weighted terms drawn at index t (so Prior + Σ_t Terms[t] = Mean).
func NLLStrided(backend compute.Backend, store *model.Store, s *ddpm.Schedule, net ddpm.Net, cfg ddpm.NLLConfig, x0 *tensors.Tensor, stride int) (*ddpm.NLLResult, error) {
	dims := x0.Shape().Dimensions
	if len(dims) < 2 || x0.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("metrics: NLLStrided wants x0 as float32 [B, …] with rank ≥ 2, got %s", x0.Shape())
	}
	if stride < 1 {
		return nil, fmt.Errorf("metrics: NLLStrided: stride %d must be ≥ 1", stride)
	}
	B := dims[0]
	// The same graph as ddpm.NLL's, so that stride 1 reproduces it.
	term, err := model.NewExec(backend, store, func(scope *model.Scope, x0, t, rng *graph.Node) (*graph.Node, *graph.Node) {
		rng, eps := gomlxfix.RandomNormal(rng, x0.Shape())
		xt := ddpm.QSample(s, x0, t, eps)
		return ddpm.NLLTerm(s, cfg, net(scope, xt, t), x0, xt, t), rng
	})
	if err != nil {
		return nil, err
	}
	prior, err := graph.CallOnce(backend, func(x0 *graph.Node) *graph.Node { return ddpm.PriorBPD(s, x0) }, x0)
	if err != nil {
		return nil, err
	}
	rng, err := graph.RNGStateFromSeed(cfg.Seed)
	if err != nil {
		return nil, err
	}
	res := &ddpm.NLLResult{PerExample: make([]float64, B), Terms: make([]float64, s.T)}
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
			return fmt.Errorf("metrics: NLL term t ∈ [%d, %d]: %w", lo, hi, err)
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
	for _, v := range res.PerExample {
		res.Mean += v / float64(B)
	}
	var sq float64
	for _, v := range res.PerExample {
		sq += (v - res.Mean) * (v - res.Mean)
	}
	if B > 1 {
		res.StdErr = math.Sqrt(sq / float64(B-1) / float64(B))
	}
	return res, nil
}
