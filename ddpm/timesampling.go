package ddpm

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// LogSNRTimes draws B array indices t whose log-SNR is normal,
//
//	λ ~ N(mean, std²),   t = #{i : λ_i > λ}  clamped to [0, T−1],   λ_i = log SNR_i = log(ᾱ_i/(1−ᾱ_i)),
//
// in place of Algorithm 1's t ~ Uniform({1, …, T}). SNR falls with t, so t
// is the first index whose log-SNR is at most λ: the index λ falls on in the
// schedule's table, and P(t = i) = Φ((λ_{i−1}−mean)/std) − Φ((λ_i−mean)/std)
// (λ_{−1} = +∞, λ_{T−1} counted as −∞). This is EDM's log-normal noise level
// (Karras et al. 2022, Table 1: ln σ ~ N(−1.2, 1.2²), σ² = 1/SNR, i.e.
// λ ~ N(2.4, 2.4²)) and, in the continuous limit, the logit-normal t of
// Esser et al. (2024, §3.1) for their schedule: it spends the short run's
// steps at the mid noise levels where the loss falls most, instead of
// uniformly over t. The draw uses the store's RNG (scope), t carries no
// gradient.
func LogSNRTimes(scope *model.Scope, g *Graph, s *Schedule, B int, mean, std float64) *Node {
	lambda := make([]float64, s.T)
	for i, snr := range s.SNR {
		lambda[i] = math.Log(snr)
	}
	z := gomlxfix.ScopeRandomNormal(scope, g, shapes.Make(dtypes.Float64, B))                            // [B]
	l := AddScalar(MulScalar(z, std), mean)                                                              // λ [B]
	above := ConvertDType(GreaterThan(InsertAxes(Const(g, lambda), 0), InsertAxes(l, -1)), dtypes.Int32) // [B, T]
	return StopGradient(Min(ReduceSum(above, -1), Const(g, int32(s.T-1))))                               // [B] int32
}
