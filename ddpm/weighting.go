package ddpm

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// MinSNRWeights is the min-SNR-γ loss weighting of Hang et al. (2023,
// "Efficient Diffusion Training via Min-SNR Weighting Strategy"): every
// step's squared error on x_0 is weighted by
//
//	w_t = min(SNR(t), γ),   SNR(t) = ᾱ_t/(1−ᾱ_t),
//
// so the low-noise steps, which are easy and otherwise dominate the
// gradient, no longer crowd out the rest. Written for the regression
// target of pred, with x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε (Eq. 4) and the errors
// of the three targets related by
//
//	‖x_0 − x̂_0‖² = ‖ε − ε̂‖² / SNR(t)          (x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t, Eq. 15)
//	‖x_0 − x̂_0‖² = ‖v − v̂‖² / (SNR(t) + 1)    (x̂_0 = √ᾱ_t x_t − √(1−ᾱ_t) v̂, Salimans & Ho 2022),
//
// the weight on pred's own squared error is
//
//	PredictX0:  min(SNR, γ)
//	PredictEps: min(SNR, γ) / SNR          (= 1 where SNR ≤ γ: L_simple at the noisy steps)
//	PredictV:   min(SNR, γ) / (SNR + 1)
//
// Returns a float64 table over array indices i = (paper step t) − 1, for
// [LSimpleWeighted]. γ must be > 0 (Hang et al. use γ = 5).
func MinSNRWeights(s *Schedule, pred Prediction, gamma float64) ([]float64, error) {
	if !(gamma > 0) || math.IsInf(gamma, 1) {
		return nil, fmt.Errorf("ddpm: min-SNR γ must be a positive finite number, got %g", gamma)
	}
	w := make([]float64, s.T)
	for i, snr := range s.SNR {
		m := math.Min(snr, gamma)
		switch pred {
		case PredictX0:
			w[i] = m
		case PredictEps:
			w[i] = m / snr
		case PredictV:
			w[i] = m / (snr + 1)
		default:
			return nil, fmt.Errorf("ddpm: unknown prediction %v", pred)
		}
	}
	return w, nil
}

// LSimpleWeighted is [LSimple] with a weight per diffusion step on each
// example's mean squared error,
//
//	L = (1/B) Σ_b w[t_b] · mean_d (target_bd − out_bd)²,
//
// weights a float64 table over array indices (such as [MinSNRWeights]);
// nil weights give exactly LSimple. out, x0, eps: [B, …]; t: [B]. Returns a
// scalar.
func LSimpleWeighted(s *Schedule, pred Prediction, out, x0, eps, t *Node, weights []float64) *Node {
	if weights == nil {
		return LSimple(s, pred, out, x0, eps, t)
	}
	if len(weights) != s.T {
		panicf("ddpm.LSimpleWeighted: %d weights for a schedule of T=%d steps", len(weights), s.T)
	}
	perExample := meanFlat(Square(Sub(lsimpleTarget(s, pred, x0, eps, t), out))) // [B]
	return ReduceAllMean(Mul(perExample, coef(weights, t, perExample)))
}
