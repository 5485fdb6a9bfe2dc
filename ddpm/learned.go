package ddpm

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// Learned reverse variances, Nichol & Dhariwal (2021, "Improved Denoising
// Diffusion Probabilistic Models"), §3.1. The network's output carries, after
// its prediction (ε, x_0 or v target: [Prediction]), one coefficient v per
// dimension, and
//
//	Σ_θ(x_t, t) = exp(v log β_t + (1 − v) log β̃_t)          (their Eq. 15)
//
// interpolates in the log domain between Ho et al.'s two fixed choices
// (v = 1: β_t, v = 0: β̃_t; v is not constrained to [0, 1]). Ho et al.'s
// L_simple gives Σ_θ no gradient, so it is trained with
//
//	L_hybrid = L_simple + λ L_vlb,   λ = 0.001                (their Eq. 16)
//
// with the mean's gradient stopped inside L_vlb, so that L_vlb only guides
// Σ_θ. Here L_vlb = T · L_{t−1} for the one uniform t drawn per example (an
// unbiased estimate of Σ_t L_{t−1}, Eq. 5, in bits/dim), as their code.
//
// Index convention as everywhere: array index i ↔ paper step t = i+1; β̃ at
// index 0 is zero, so its log is clipped to log β̃ at index 1
// (Schedule.PosteriorLogVarClipped, as Ho et al.'s and their code).
//
// Deviation from their code: it feeds frac = (v+1)/2 to Eq. 15 (so that a
// network output of 0 means the geometric mean of β_t and β̃_t); we use v
// as in the paper's equation. A new U-Net (its output convolution starts at
// zero) starts at β̃_t.

// LearnedLogVariance is log Σ_θ = v log β_t + (1 − v) log β̃_t (Nichol &
// Dhariwal Eq. 15). v: [B, …] (the variance half of a network output), t:
// [B] array indices → [B, …].
func LearnedLogVariance(s *Schedule, v, t *Node) *Node {
	logBeta := make([]float64, s.T)
	for i, b := range s.Betas {
		logBeta[i] = math.Log(b)
	}
	maxLog, minLog := coef(logBeta, t, v), coef(s.PosteriorLogVarClipped, t, v)
	return Add(Mul(v, maxLog), Mul(OneMinus(v), minLog))
}

// SplitLearned splits a network output [B, …, 2C] along its last axis into
// the prediction [B, …, C] (first half) and v [B, …, C] (second half), as
// improved-diffusion's model_output.split.
func SplitLearned(out *Node) (pred, v *Node) {
	last := out.Rank() - 1
	n := out.Shape().Dimensions[last]
	if n%2 != 0 {
		panicf("ddpm.SplitLearned: a learned-variance network outputs 2C channels on its last axis, got shape %s", out.Shape())
	}
	parts := Split(out, last, 2)
	return parts[0], parts[1]
}

// VLBTermLogVarBPD is [VLBTermBPD] with the reverse log-variance given as a
// node logVar (broadcasting against xt), such as [LearnedLogVariance]'s.
func VLBTermLogVarBPD(s *Schedule, pred Prediction, out, logVar, x0, xt, t *Node, clip float64) *Node {
	trueMean := PosteriorMeanFromX0(s, xt, x0, t)
	trueLogVar := coef(s.PosteriorLogVarClipped, t, xt)
	mean, _ := ReverseMean(s, pred, out, xt, t, clip)
	kl := meanFlatBits(NormalKL(trueMean, trueLogVar, mean, logVar))
	decoderNLL := meanFlatBits(Neg(DiscretizedGaussianLogLikelihood(x0, mean, MulScalar(logVar, 0.5))))
	isFirst := Equal(ConvertDType(t, decoderNLL.DType()), ZerosLike(decoderNLL))
	return Where(isFirst, decoderNLL, kl)
}

// DefaultHybridLambda is λ of L_hybrid (Nichol & Dhariwal §3.1).
const DefaultHybridLambda = 0.001

// LHybrid is L_hybrid = L_simple + λ L_vlb (Nichol & Dhariwal Eq. 16) for a
// learned-variance output out [B, …, 2C] at x_t = QSample(x0, t, eps):
// L_simple (weighted by weights if not nil, see [LSimpleWeighted]) on the
// prediction half, plus λ T times the batch mean of the VLB term of each
// example's t ([VLBTermLogVarBPD], bits/dim) with the prediction's gradient
// stopped. x0 must be data in [−1, 1] (the decoder term is for 8-bit data).
// Returns a scalar.
func LHybrid(s *Schedule, pred Prediction, out, x0, eps, xt, t *Node, lambda float64, weights []float64) *Node {
	p, v := SplitLearned(out)
	simple := LSimpleWeighted(s, pred, p, x0, eps, t, weights)
	vlb := VLBTermLogVarBPD(s, pred, StopGradient(p), LearnedLogVariance(s, v, t), x0, xt, t, 0) // [B]
	return Add(simple, MulScalar(ReduceAllMean(vlb), lambda*float64(s.T)))
}
