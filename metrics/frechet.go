package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian is a mean and a covariance matrix fitted to a feature set.
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense
}

// FitGaussian returns the sample mean and the unbiased sample covariance
// (divisor N−1, as numpy.cov and the reference FID code use) of the N rows of
// feats [N, F] (row-major). It needs N ≥ 2.
func FitGaussian(feats []float64, f int) (Gaussian, error) {
	if f < 1 || len(feats) == 0 || len(feats)%f != 0 {
		return Gaussian{}, fmt.Errorf("metrics: FitGaussian: %d values are not rows of F=%d features", len(feats), f)
	}
	if n := len(feats) / f; n < 2 {
		return Gaussian{}, fmt.Errorf("metrics: FitGaussian needs at least 2 rows, got %d", n)
	}
	acc := NewGaussianAcc(f) // one batch: the mean, then Σ = Cᵀ C / (N−1) of the centred rows C
	if err := acc.Add(feats); err != nil {
		return Gaussian{}, err
	}
	return acc.Gaussian()
}

// FrechetGaussians is the Fréchet (2-Wasserstein squared) distance between
// N(μ1, Σ1) and N(μ2, Σ2) (Dowson & Landau 1982; the formula of FID, Heusel
// et al. 2017):
//
//	d² = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^{1/2}).
//
// Σ1Σ2 is not symmetric, but it is similar to the symmetric positive
// semi-definite M = √Σ1 Σ2 √Σ1 (√Σ1 (Σ1Σ2) √Σ1⁻¹ = M when Σ1 is invertible,
// and by continuity otherwise), so Tr((Σ1Σ2)^{1/2}) = Σ_i √λ_i(M). Both √Σ1
// and the λ_i(M) come from symmetric eigendecompositions (gonum's EigenSym),
// in float64; eigenvalues below zero, which are rounding errors of a PSD
// matrix, are clamped to 0. (The reference FID code uses scipy's sqrtm of
// Σ1Σ2 instead, and drops an imaginary part.)
func FrechetGaussians(a, b Gaussian) (float64, error) {
	f := len(a.Mean)
	if len(b.Mean) != f || a.Cov.SymmetricDim() != f || b.Cov.SymmetricDim() != f {
		return 0, fmt.Errorf("metrics: FrechetGaussians: dimensions differ: means %d and %d, covariances %d and %d",
			len(a.Mean), len(b.Mean), a.Cov.SymmetricDim(), b.Cov.SymmetricDim())
	}
	var d2 float64
	for i := range f {
		d2 += (a.Mean[i] - b.Mean[i]) * (a.Mean[i] - b.Mean[i])
	}
	sqrt1, err := symSqrt(a.Cov)
	if err != nil {
		return 0, err
	}
	var tmp, m mat.Dense
	tmp.Mul(sqrt1, b.Cov)
	m.Mul(&tmp, sqrt1)
	ms := mat.NewSymDense(f, nil)
	for i := range f {
		for j := i; j < f; j++ {
			ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2) // symmetric up to rounding
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(ms, false) {
		return 0, fmt.Errorf("metrics: FrechetGaussians: the eigendecomposition of √Σ1 Σ2 √Σ1 did not converge")
	}
	var trSqrt float64
	for _, l := range eig.Values(nil) {
		trSqrt += math.Sqrt(max(l, 0))
	}
	return d2 + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*trSqrt, nil
}

// symSqrt is the PSD square root V diag(√max(λ, 0)) Vᵀ of a symmetric matrix.
func symSqrt(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("metrics: the eigendecomposition of a covariance did not converge")
	}
	vals := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	n := len(vals)
	scaled := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			scaled.Set(i, j, v.At(i, j)*math.Sqrt(max(vals[j], 0)))
		}
	}
	out := mat.NewDense(n, n, nil)
	out.Mul(scaled, v.T())
	return out, nil
}

// FrechetDistance is FrechetGaussians between the Gaussians fitted (by
// FitGaussian) to the feature sets a [Na, F] and b [Nb, F], row-major float64.
func FrechetDistance(a, b []float64, f int) (float64, error) {
	ga, err := FitGaussian(a, f)
	if err != nil {
		return 0, err
	}
	gb, err := FitGaussian(b, f)
	if err != nil {
		return 0, err
	}
	return FrechetGaussians(ga, gb)
}
