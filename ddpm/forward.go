package ddpm

import (
	"math"

	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	. "github.com/gomlx/gomlx/core/graph"
)

// QStep takes one step of the forward process, Ho et al. (2020) Eq. 2:
//
//	q(x_t|x_{t−1}) = N(x_t; √(1−β_t) x_{t−1}, β_t I)
//	x_t = √(1−β_t) x_{t−1} + √β_t ε,   ε ~ N(0, I)
//
// xPrev, noise: [B, …]; t: scalar or [B] array indices (paper step t = index+1).
func QStep(s *Schedule, xPrev, t, noise *Node) *Node {
	sqrtAlpha := make([]float64, s.T)
	sqrtBeta := make([]float64, s.T)
	for i, b := range s.Betas {
		sqrtAlpha[i], sqrtBeta[i] = math.Sqrt(1-b), math.Sqrt(b)
	}
	return Add(Mul(coef(sqrtAlpha, t, xPrev), xPrev), Mul(coef(sqrtBeta, t, xPrev), noise))
}

// QSample draws x_t from the closed form of the forward process, Eq. 4, by
// the reparameterisation x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε:
//
//	q(x_t|x_0) = N(x_t; √ᾱ_t x_0, (1−ᾱ_t) I).
//
// x0, noise: [B, …]; t: scalar or [B] array indices (paper step t = index+1).
func QSample(s *Schedule, x0, t, noise *Node) *Node {
	return Add(Mul(coef(s.SqrtAlphasBar, t, x0), x0), Mul(coef(s.SqrtOneMinusAlphasBar, t, x0), noise))
}

// QMeanStd returns the mean √ᾱ_t x_0 and the standard deviation √(1−ᾱ_t) of
// q(x_t|x_0) (Eq. 4); the std is shaped to broadcast against x0.
func QMeanStd(s *Schedule, x0, t *Node) (mean, std *Node) {
	return Mul(coef(s.SqrtAlphasBar, t, x0), x0), coef(s.SqrtOneMinusAlphasBar, t, x0)
}

// ForwardChain runs the forward process step by step, Eq. 2 applied t+1
// times, from x_0 to x_t where t is the (static) array index of the last step:
// the iterated chain that Eq. 4 summarises. It draws its noise from rngState
// and returns the new RNG state and x_t. The loop is a graph.While, so its
// cost to build does not grow with t.
func ForwardChain(s *Schedule, x0, rngState *Node, t int) (newRNG, xt *Node) {
	g := x0.Graph()
	if t < 0 || t >= s.T {
		panicf("ddpm: ForwardChain step index %d out of range [0, %d)", t, s.T)
	}
	// State: step index i, RNG state, x.
	out := gomlxfix.While([]*Node{Const(g, int32(0)), rngState, x0},
		func(g *Graph, st []*Node) *Node { return LessOrEqual(st[0], Const(g, int32(t))) },
		func(g *Graph, st []*Node) []*Node {
			i, rng, x := st[0], st[1], st[2]
			rng, noise := gomlxfix.RandomNormal(rng, x.Shape())
			return []*Node{AddScalar(i, 1), rng, QStep(s, x, i, noise)}
		})
	return out[1], out[2]
}

// MergeGaussians is the identity the notes use to collapse the chain (their
// footnote (*)): the sum of independent N(0, σ₁²I) and N(0, σ₂²I) is
// N(0, (σ₁²+σ₂²)I). It returns σ₁² + σ₂². (The notes write σ₁² twice; the
// second is σ₂².) With σ₁² = 1−α_t and σ₂² = α_t(1−α_{t−1}) it gives
// 1 − α_t α_{t−1}, the step that turns Eq. 2 iterated into Eq. 4.
func MergeGaussians(var1, var2 float64) float64 { return var1 + var2 }
