package ddpm

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// LSimple is Ho et al. (2020) Eq. 14, the simplified objective of Algorithm 1,
//
//	L_simple(θ) = E_{t, x_0, ε} ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²,
//
// averaged over every element (as Ho et al.'s code, "mean_flat" then mean).
// out is the network output at x_t = [QSample](x0, t, eps); for PredictX0 and
// PredictV the regression target is x_0 or v instead of ε (unweighted).
// Returns a scalar.
func LSimple(s *Schedule, pred Prediction, out, x0, eps, t *Node) *Node {
	return ReduceAllMean(Square(Sub(lsimpleTarget(s, pred, x0, eps, t), out)))
}

// lsimpleTarget is the regression target of pred: ε, x_0 or v.
func lsimpleTarget(s *Schedule, pred Prediction, x0, eps, t *Node) *Node {
	switch pred {
	case PredictEps:
		return eps
	case PredictX0:
		return x0
	case PredictV:
		return VTarget(s, x0, eps, t)
	}
	panicf("ddpm: unknown prediction %v", pred)
	return nil
}

// NormalKL is the KL divergence between two diagonal Gaussians, element-wise,
// in nats, the form of every L_{t−1} term in Ho et al. Eq. 5:
//
//	KL(N(μ₁, e^{ℓ₁}) ‖ N(μ₂, e^{ℓ₂})) = ½ (−1 + ℓ₂ − ℓ₁ + e^{ℓ₁−ℓ₂} + (μ₁−μ₂)² e^{−ℓ₂})
//
// with ℓ the log-variances.
func NormalKL(mean1, logVar1, mean2, logVar2 *Node) *Node {
	d := Sub(mean1, mean2)
	return MulScalar(AddScalar(Add(Sub(logVar2, logVar1), Add(Exp(Sub(logVar1, logVar2)), Mul(Square(d), Exp(Neg(logVar2))))), -1), 0.5)
}

// StdNormalCDF is Φ(x) = ½(1 + erf(x/√2)). (Ho et al.'s code uses a tanh
// approximation of Φ; we use the exact erf.)
func StdNormalCDF(x *Node) *Node {
	return MulScalar(AddScalar(Erf(MulScalar(x, 1/math.Sqrt2)), 1), 0.5)
}

// DiscretizedGaussianLogLikelihood is the log-probability, element-wise in
// nats, of the decoder L_0 of Ho et al. Eq. 13: data x ∈ {0,…,255} scaled
// linearly to [−1, 1] (bins of width 2/255) under N(mean, e^{2·logStd}),
//
//	p(x|μ,σ) = ∫_{δ₋(x)}^{δ₊(x)} N(y; μ, σ²) dy,
//	δ₊(x) = ∞ if x = 1 else x + 1/255,   δ₋(x) = −∞ if x = −1 else x − 1/255.
//
// x, mean, logStd broadcast together. Probabilities are floored at 1e-12.
func DiscretizedGaussianLogLikelihood(x, mean, logStd *Node) *Node {
	centered := Sub(x, mean)
	invStd := Exp(Neg(logStd))
	cdfPlus := StdNormalCDF(Mul(invStd, AddScalar(centered, 1.0/255)))
	cdfMin := StdNormalCDF(Mul(invStd, AddScalar(centered, -1.0/255)))
	floor := func(v *Node) *Node { return Log(MaxScalar(v, 1e-12)) }
	logCdfPlus := floor(cdfPlus)                 // x = −1: all mass below its upper edge
	logOneMinusCdfMin := floor(OneMinus(cdfMin)) // x = +1: all mass above its lower edge
	logDelta := floor(Sub(cdfPlus, cdfMin))      // interior bins
	lo := LessThan(x, ConstAs(x, -0.999))
	hi := GreaterThan(x, ConstAs(x, 0.999))
	return Where(lo, logCdfPlus, Where(hi, logOneMinusCdfMin, logDelta))
}

// meanFlatBits averages an element-wise [B, …] quantity in nats over all but
// the batch axis and converts it to bits: → [B] bits/dim.
func meanFlatBits(x *Node) *Node {
	return MulScalar(meanFlat(x), 1/math.Ln2)
}

// meanFlat averages x [B, …] over all but the batch axis: → [B].
func meanFlat(x *Node) *Node {
	axes := make([]int, 0, x.Rank()-1)
	for i := 1; i < x.Rank(); i++ {
		axes = append(axes, i)
	}
	return ReduceMean(x, axes...)
}

// PriorBPD is the prior term L_T of Ho et al. Eq. 5 in bits/dim per example:
// KL(q(x_T|x_0) ‖ N(0, I)) with q(x_T|x_0) from Eq. 4. It has no parameters
// to learn; it measures how close x_T is to pure noise. x0: [B, …] → [B].
func PriorBPD(s *Schedule, x0 *Node) *Node {
	T := s.T - 1
	g := x0.Graph()
	tNode := Const(g, int32(T))
	mean := Mul(coef(s.SqrtAlphasBar, tNode, x0), x0)
	logVar := BroadcastToShape(ConstAs(x0, math.Log(1-s.AlphasBar[T])), x0.Shape())
	zero := ZerosLike(x0)
	return meanFlatBits(NormalKL(mean, logVar, zero, zero))
}

// VLBTermBPD is one term of the variational bound, Ho et al. Eq. 5, in
// bits/dim per example, for array index t (paper step t+1):
//
//	index t ≥ 1:  L_{t} = KL(q(x_{t}|x_{t+1}, x_0) ‖ p_θ(x_{t}|x_{t+1}))  (Eqs. 6, 7 vs Eq. 1)
//	index t = 0:  L_0 = −log p_θ(x_0|x_1)                               (Eq. 13)
//
// written with paper steps, for x_t = QSample(x0, t, ε) given as xt and the
// network output out at (xt, t). p_θ has the fixed variance of kind and the
// mean of [ReverseMean] (x̂_0 clipped to [−clip, clip] when clip > 0). x0 is
// data scaled to [−1, 1]; t: [B] int32. Returns [B].
func VLBTermBPD(s *Schedule, kind VarianceKind, pred Prediction, out, x0, xt, t *Node, clip float64) *Node {
	_, logVar := ReverseVarianceNode(s, kind, t, xt)
	return VLBTermLogVarBPD(s, pred, out, logVar, x0, xt, t, clip)
}
