package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func gaussianOf(mean []float64, cov []float64) Gaussian {
	return Gaussian{Mean: mean, Cov: mat.NewSymDense(len(mean), cov)}
}

// Closed forms: in 1-D, d² = (m1−m2)² + (s1−s2)²; for diagonal covariances
// the matrices commute and d² = ‖μ1−μ2‖² + Σ_i (σ1_i − σ2_i)²; for any 2×2
// matrix with non-negative eigenvalues, Tr √A = √(Tr A + 2√det A) (since
// (√λ1 + √λ2)² = λ1 + λ2 + 2√(λ1λ2)), which gives a reference for
// non-commuting covariances from det(Σ1Σ2) = det Σ1 det Σ2 and Tr(Σ1Σ2).
func TestFrechetGaussiansClosedForms(t *testing.T) {
	t.Parallel()
	check := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-10*(1+math.Abs(want)) {
			t.Errorf("%s: %.15g, closed form %.15g", name, got, want)
		}
	}
	d, err := FrechetGaussians(gaussianOf([]float64{0.3}, []float64{4}), gaussianOf([]float64{-1.2}, []float64{0.25}))
	if err != nil {
		t.Fatal(err)
	}
	check("1-D", d, 1.5*1.5+(2-0.5)*(2-0.5))

	s1, s2 := []float64{1, 0.5, 3}, []float64{2, 0.5, 0.1}
	cov := func(s []float64) []float64 {
		c := make([]float64, 9)
		for i, v := range s {
			c[i*3+i] = v * v
		}
		return c
	}
	d, _ = FrechetGaussians(gaussianOf([]float64{1, 2, 3}, cov(s1)), gaussianOf([]float64{0, 2, 5}, cov(s2)))
	want := 1.0 + 4
	for i := range s1 {
		want += (s1[i] - s2[i]) * (s1[i] - s2[i])
	}
	check("diagonal 3-D", d, want)

	a := []float64{2, 0.7, 0.7, 1}
	b := []float64{1, -0.4, -0.4, 3}
	tr := func(m []float64) float64 { return m[0] + m[3] }
	det := func(m []float64) float64 { return m[0]*m[3] - m[1]*m[2] }
	trAB := a[0]*b[0] + a[1]*b[2] + a[2]*b[1] + a[3]*b[3]
	want = 0.5*0.5 + tr(a) + tr(b) - 2*math.Sqrt(trAB+2*math.Sqrt(det(a)*det(b)))
	d, _ = FrechetGaussians(gaussianOf([]float64{0.5, 0}, a), gaussianOf([]float64{0, 0}, b))
	check("2×2 non-commuting", d, want)
	back, _ := FrechetGaussians(gaussianOf([]float64{0, 0}, b), gaussianOf([]float64{0.5, 0}, a))
	check("symmetry", back, d)

	// A singular Σ1 (rank 1): the clamp keeps the square roots real.
	d, err = FrechetGaussians(gaussianOf([]float64{0, 0}, []float64{1, 1, 1, 1}), gaussianOf([]float64{0, 0}, []float64{1, 1, 1, 1}))
	if err != nil || math.Abs(d) > 1e-7 {
		t.Errorf("equal singular Gaussians: d² = %g, err %v", d, err)
	}
}

// FD(X, X) = 0 for fitted feature sets; the fitted covariance is the unbiased
// one (checked on a 2-row set); and for samples of two 1-D Gaussians the
// fitted distance approaches (m1−m2)² + (s1−s2)² within the sampling error of
// the fitted moments (SE of a mean s/√n, of a standard deviation s/√(2n)).
func TestFrechetDistanceFitted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(17, 18))
	f, n := 8, 500
	x := make([]float64, n*f)
	for i := range x {
		x[i] = rng.NormFloat64() * float64(1+i%f)
	}
	d, err := FrechetDistance(x, x, f)
	if err != nil || math.Abs(d) > 1e-9 {
		t.Errorf("FD(X, X) = %g (err %v), want 0", d, err)
	}
	g, _ := FitGaussian([]float64{1, 2, 3, 6}, 2)
	if g.Mean[0] != 2 || g.Mean[1] != 4 || g.Cov.At(0, 0) != 2 || g.Cov.At(0, 1) != 4 || g.Cov.At(1, 1) != 8 {
		t.Errorf("FitGaussian of rows (1,2), (3,6): mean %v, cov %v", g.Mean, mat.Formatted(g.Cov))
	}
	const m1, s1, m2, s2, N = 0.0, 1.0, 0.5, 2.0, 50000
	a, b := make([]float64, N), make([]float64, N)
	for i := range N {
		a[i] = m1 + s1*rng.NormFloat64()
		b[i] = m2 + s2*rng.NormFloat64()
	}
	d, _ = FrechetDistance(a, b, 1)
	want := (m1-m2)*(m1-m2) + (s1-s2)*(s1-s2)
	// d² is smooth in the fitted moments: δd² ≈ 2(m1−m2)δm + 2(s1−s2)δs.
	se := 2*math.Abs(m1-m2)*math.Sqrt((s1*s1+s2*s2)/N) + 2*math.Abs(s1-s2)*math.Sqrt((s1*s1+s2*s2)/(2*N))
	if math.Abs(d-want) > 4*se+1e-3 {
		t.Errorf("fitted 1-D FD = %.5f, closed form %.5f ± %.5f", d, want, 4*se)
	}
	t.Logf("fitted 1-D FD = %.5f, closed form %.5f (4 SE = %.5f)", d, want, 4*se)
}
