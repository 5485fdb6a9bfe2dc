package ddpm

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// PosteriorMeanFromX0 is μ̃_t of the forward-process posterior, Ho et al. Eq. 7:
//
//	q(x_{t−1}|x_t, x_0) = N(x_{t−1}; μ̃_t(x_t, x_0), β̃_t I)
//	μ̃_t(x_t, x_0) = √ᾱ_{t−1} β_t/(1−ᾱ_t) · x_0 + √α_t (1−ᾱ_{t−1})/(1−ᾱ_t) · x_t
//
// xt, x0: [B, …]; t: scalar or [B] array indices (paper step t = index+1; at
// index 0, ᾱ_0 = 1 and μ̃_1 = x_0). Like every function of x_t here, it
// takes x_t first and t last (PosteriorMeanFromEps(s, xt, eps, t)).
func PosteriorMeanFromX0(s *Schedule, xt, x0, t *Node) *Node {
	return Add(Mul(coef(s.PosteriorMeanCoef1, t, x0), x0), Mul(coef(s.PosteriorMeanCoef2, t, xt), xt))
}

// PosteriorVarianceAt is the table Schedule.PosteriorVariance at t as a
// node: β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) · β_t (Eq. 7), shaped to broadcast
// against like. It is 0 at index 0 (paper step t = 1).
func PosteriorVarianceAt(s *Schedule, t, like *Node) *Node {
	return coef(s.PosteriorVariance, t, like)
}

// PosteriorMeanFromEps is μ̃_t written with the noise ε that produced x_t
// from x_0 (substitute x_0 = (x_t − √(1−ᾱ_t) ε)/√ᾱ_t, from Eq. 4, into Eq. 7;
// this is Ho et al. Eq. 10's inner expression):
//
//	μ̃_t = 1/√α_t · (x_t − β_t/√(1−ᾱ_t) · ε)
//
// With ε replaced by ε_θ(x_t, t) it is the mean of p_θ in Eq. 11.
func PosteriorMeanFromEps(s *Schedule, xt, eps, t *Node) *Node {
	return Mul(coef(s.SqrtRecipAlphas, t, xt), Sub(xt, Mul(coef(s.EpsCoef, t, xt), eps)))
}

// Posterior1D returns μ̃_t and β̃_t of Eq. 7 in float64 for scalar x_0 and
// x_t at array index t: the host reference used by tests and notebooks.
func (s *Schedule) Posterior1D(t int, x0, xt float64) (mean, variance float64) {
	return s.PosteriorMeanCoef1[t]*x0 + s.PosteriorMeanCoef2[t]*xt, s.PosteriorVariance[t]
}

// BayesGrid is the posterior q(x_{t−1}|x_t, x_0) evaluated by brute force on
// a grid of x_{t−1} values, for one scalar coordinate.
type BayesGrid struct {
	X              []float64 // grid points x_{t−1}
	Density        []float64 // normalised posterior density at X (trapezoid rule)
	LogJoint       []float64 // log q(x_t|x_{t−1}) + log q(x_{t−1}|x_0), unnormalised
	Mean, Variance float64   // moments of Density on the grid
}

// BayesPosterior1D computes q(x_{t−1}|x_t, x_0) with Bayes' rule on a grid,
// without completing the square (Ho et al. Eq. 6's left side, numerically):
//
//	q(x_{t−1}|x_t, x_0) = q(x_t|x_{t−1}) q(x_{t−1}|x_0) / q(x_t|x_0)
//
// with q(x_t|x_{t−1}) = N(√α_t x_{t−1}, β_t) (Eq. 2) and q(x_{t−1}|x_0) =
// N(√ᾱ_{t−1} x_0, 1−ᾱ_{t−1}) (Eq. 4). The denominator does not depend on
// x_{t−1}, so it is replaced by the grid normaliser. t is an array index ≥ 1
// (paper step t ≥ 2: at t = 1 the posterior is a point mass at x_0). The grid
// is n points on [lo, hi].
func (s *Schedule) BayesPosterior1D(t int, x0, xt, lo, hi float64, n int) (*BayesGrid, error) {
	if t < 1 || t >= s.T {
		return nil, fmt.Errorf("ddpm: BayesPosterior1D index t=%d out of range [1, %d): the posterior at paper step 1 is a point mass", t, s.T)
	}
	if n < 3 || !(hi > lo) {
		return nil, fmt.Errorf("ddpm: BayesPosterior1D grid [%g, %g] with %d points: need hi > lo and n ≥ 3", lo, hi, n)
	}
	a, b := s.Alphas[t], s.Betas[t]
	abPrev := s.AlphasBarPrev[t]
	r := &BayesGrid{X: make([]float64, n), Density: make([]float64, n), LogJoint: make([]float64, n)}
	h := (hi - lo) / float64(n-1)
	maxLog := math.Inf(-1)
	for i := range n {
		x := lo + float64(i)*h
		r.X[i] = x
		lik := logNormal(xt, math.Sqrt(a)*x, b)               // log q(x_t|x_{t−1})
		prior := logNormal(x, math.Sqrt(abPrev)*x0, 1-abPrev) // log q(x_{t−1}|x_0)
		r.LogJoint[i] = lik + prior
		maxLog = math.Max(maxLog, r.LogJoint[i])
	}
	z := 0.0
	for i := range n {
		r.Density[i] = math.Exp(r.LogJoint[i] - maxLog)
		w := h
		if i == 0 || i == n-1 {
			w = h / 2
		}
		z += w * r.Density[i]
	}
	m, m2 := 0.0, 0.0
	for i := range n {
		r.Density[i] /= z
		w := h
		if i == 0 || i == n-1 {
			w = h / 2
		}
		m += w * r.Density[i] * r.X[i]
		m2 += w * r.Density[i] * r.X[i] * r.X[i]
	}
	r.Mean, r.Variance = m, m2-m*m
	return r, nil
}

// logNormal is log N(x; mean, variance).
func logNormal(x, mean, variance float64) float64 {
	d := x - mean
	return -0.5 * (math.Log(2*math.Pi*variance) + d*d/variance)
}
