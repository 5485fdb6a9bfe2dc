package ddpm

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// GaussianDataEps is the exactly optimal ε-network for Gaussian data
// x_0 ~ N(m, v I): the minimiser of L_simple (Eq. 14) is E[ε | x_t], and with
// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε (Eq. 4) both are jointly Gaussian, so
//
//	E[ε | x_t] = √(1−ᾱ_t) (x_t − √ᾱ_t m) / (ᾱ_t v + 1 − ᾱ_t).
//
// Its score −ε/√(1−ᾱ_t) is exactly ∇ log q(x_t), q(x_t) = N(√ᾱ_t m, ᾱ_t v + 1−ᾱ_t).
// It lets the samplers be tested end to end without training.
func GaussianDataEps(s *Schedule, m, v float64) Net {
	a, b := make([]float64, s.T), make([]float64, s.T)
	for i := range s.T {
		ab := s.AlphasBar[i]
		den := ab*v + 1 - ab
		a[i] = math.Sqrt(1-ab) / den     // multiplies x_t
		b[i] = -a[i] * math.Sqrt(ab) * m // constant term
	}
	return func(_ *model.Scope, xt, t *Node) *Node {
		return Add(Mul(coef(a, t, xt), xt), coef(b, t, xt))
	}
}
