package metrics

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// GaussianAcc fits the Gaussian of [FitGaussian] to rows that arrive in
// batches, holding only the count, the mean and the centred scatter matrix
// (F + F² float64), so that a Fréchet distance over N samples does not hold
// N rows. Batches are merged with the pairwise update of Chan, Golub &
// LeVeque (1979, "Updating formulae and a pairwise algorithm for computing
// sample variances", Eq. 2.1 in matrix form):
//
//	n = n_a + n_b,  δ = μ_b − μ_a,
//	μ = μ_a + δ n_b/n,
//	M = M_a + M_b + δ δᵀ n_a n_b / n,
//
// where M = Σ (x − μ)(x − μ)ᵀ; then Σ = M / (n − 1), FitGaussian's unbiased
// covariance. The zero value is not usable: use [NewGaussianAcc].
type GaussianAcc struct {
	f    int
	n    int
	mean []float64
	m    *mat.SymDense
}

// NewGaussianAcc is an empty accumulator of rows of f features.
func NewGaussianAcc(f int) *GaussianAcc {
	return &GaussianAcc{f: f, mean: make([]float64, f), m: mat.NewSymDense(f, nil)}
}

// Add merges the rows of feats [N, F] (row-major).
func (a *GaussianAcc) Add(feats []float64) error {
	f := a.f
	if f < 1 || len(feats)%f != 0 {
		return fmt.Errorf("metrics: GaussianAcc.Add: %d values are not rows of F=%d features", len(feats), f)
	}
	nb := len(feats) / f
	if nb == 0 {
		return nil
	}
	mb := make([]float64, f)
	for i := range nb {
		for j, v := range feats[i*f : (i+1)*f] {
			mb[j] += v
		}
	}
	for j := range mb {
		mb[j] /= float64(nb)
	}
	c := mat.NewDense(nb, f, nil)
	for i := range nb {
		for j, v := range feats[i*f : (i+1)*f] {
			c.Set(i, j, v-mb[j])
		}
	}
	scatter := mat.NewSymDense(f, nil)
	scatter.SymOuterK(1, c.T()) // M_b = Cᵀ C
	na := a.n
	n := na + nb
	delta := make([]float64, f)
	for j := range delta {
		delta[j] = mb[j] - a.mean[j]
		a.mean[j] += delta[j] * float64(nb) / float64(n)
	}
	a.m.AddSym(a.m, scatter)
	if na > 0 {
		a.m.SymRankOne(a.m, float64(na)*float64(nb)/float64(n), mat.NewVecDense(f, delta))
	}
	a.n = n
	return nil
}

// N is the number of rows merged.
func (a *GaussianAcc) N() int { return a.n }

// Gaussian is the mean and unbiased covariance of the rows merged; it needs
// at least 2 rows.
func (a *GaussianAcc) Gaussian() (Gaussian, error) {
	if a.n < 2 {
		return Gaussian{}, fmt.Errorf("metrics: GaussianAcc needs at least 2 rows, got %d", a.n)
	}
	cov := mat.NewSymDense(a.f, nil)
	cov.ScaleSym(1/float64(a.n-1), a.m)
	return Gaussian{Mean: append([]float64(nil), a.mean...), Cov: cov}, nil
}
