package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// gauss draws n points of N(mean, s² I) in len(mean) dimensions, flattened.
func gauss(rng *rand.Rand, n int, mean []float64, s float64) []float32 {
	d := len(mean)
	x := make([]float32, n*d)
	for i := range n {
		for j := range d {
			x[i*d+j] = float32(mean[j] + s*rng.NormFloat64())
		}
	}
	return x
}

// W₁ between N(m1, 1) and N(m2, 1) is |m1 − m2| (closed form: the quantile
// functions differ by the constant m2 − m1). The empirical W₁ is at least the
// difference of the sample means (Jensen), whose standard error is √(1/n+1/m),
// and exceeds it only where sorted differences change sign, which at a shift
// of 1 is a few standard errors at most: tolerance 5·√(1/n+1/m).
func TestW1GaussianShift(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{20000, 20000}, {20000, 15000}} {
		n, m := sz[0], sz[1]
		a, b := gauss(rng, n, []float64{0}, 1), gauss(rng, m, []float64{1}, 1)
		got, err := SlicedW1(a, b, 1, SlicedConfig{})
		if err != nil {
			t.Fatal(err)
		}
		tol := 5 * math.Sqrt(1/float64(n)+1/float64(m))
		if math.Abs(got-1) > tol {
			t.Errorf("n=%d m=%d: W1 = %.4f, want 1 ± %.4f", n, m, got, tol)
		}
		t.Logf("n=%d m=%d: W1 = %.4f (closed form 1, tolerance %.4f)", n, m, got, tol)
	}
}

// Two samples of the same N(0, 1): W₁ = ∫|F_n − G_m| dx, and E|F_n(x) − F(x)|
// ≤ √(F(1−F)/n) (Cauchy–Schwarz), so E W₁ ≤ (1/√n + 1/√m) ∫√(Φ(1−Φ)) dx, the
// integral by the trapezoid rule here (≈ 0.9). We allow twice the bound for
// the fluctuation of one draw.
func TestW1SameDistributionIsSmall(t *testing.T) {
	t.Parallel()
	var integral float64
	const h = 1e-3
	for x := -10.0; x <= 10; x += h {
		p := 0.5 * math.Erfc(-x/math.Sqrt2)
		integral += h * math.Sqrt(p*(1-p))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	n := 5000
	a, b := gauss(rng, n, []float64{0}, 1), gauss(rng, n, []float64{0}, 1)
	got, _ := SlicedW1(a, b, 1, SlicedConfig{})
	bound := 2 * integral / math.Sqrt(float64(n))
	if got <= 0 || got > 2*bound {
		t.Errorf("W1 of two N(0,1) samples of %d = %.4f, want in (0, 2·%.4f]", n, got, bound)
	}
	t.Logf("∫√(Φ(1−Φ)) = %.4f; W1 = %.4f ≤ E-bound %.4f", integral, got, bound)
}

// For unequal sizes the merged-grid integral must equal the equal-size formula
// applied to the samples replicated m and n times (sizes n·m both): the same
// two empirical distributions, an independent exact reference.
func TestW1UnequalSizesMatchesReplication(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{3, 5}, {7, 4}, {10, 15}, {1, 9}} {
		n, m := sz[0], sz[1]
		a, b := make([]float64, n), make([]float64, m)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for j := range b {
			b[j] = 2 + 3*rng.NormFloat64()
		}
		var ra, rb []float64
		for range m {
			ra = append(ra, a...)
		}
		for range n {
			rb = append(rb, b...)
		}
		want := W1(ra, rb)
		got := W1(slices.Clone(a), slices.Clone(b))
		if math.Abs(got-want) > 1e-12*(1+want) {
			t.Errorf("n=%d m=%d: merged grid %.15g, replication %.15g", n, m, got, want)
		}
		if back := W1(slices.Clone(b), slices.Clone(a)); math.Abs(back-got) > 1e-12*(1+got) {
			t.Errorf("n=%d m=%d: W1 not symmetric: %.15g vs %.15g", n, m, got, back)
		}
	}
}

// In 2-D, N(0, I) and N(Δ, I) project on θ to N(0, 1) and N(Δ·θ, 1), whose W₁
// is |Δ·θ| = |Δ||cos φ|; over uniform directions E|cos φ| = 2/π (closed form:
// (1/2π)∫₀^{2π}|cos φ| dφ = 2/π), so SW₁ = |Δ|·2/π.
//   - The seeded directions: the mean of |cos φ_k| over L of them lies within
//     4·std/√L of 2/π, std|cos φ| = √(1/2 − 4/π²) ≈ 0.308.
//   - The samples: given the 256 default directions, SW₁ estimates
//     (1/L)Σ|Δ·θ_k| with the sampling error of one W₁ (a mean difference, SE
//     √(2/n)) plus the excess of near-orthogonal directions: tolerance 5·√(2/n).
//
// Together: SW₁ → |Δ|·2/π as L and n grow.
func TestSlicedW1IsotropicShift2D(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	n := 20000
	delta := []float64{3 / math.Sqrt2, -3 / math.Sqrt2} // |Δ| = 3
	a, b := gauss(rng, n, []float64{0, 0}, 1), gauss(rng, n, delta, 1)
	sdCos := math.Sqrt(0.5 - 4/(math.Pi*math.Pi))
	for _, L := range []int{256, 4096} {
		cfg := SlicedConfig{Projections: L}
		var meanCos float64
		for _, u := range cfg.Directions(2) {
			meanCos += math.Abs(u[0]*delta[0]+u[1]*delta[1]) / 3 / float64(L)
		}
		if tol := 4 * sdCos / math.Sqrt(float64(L)); math.Abs(meanCos-2/math.Pi) > tol {
			t.Errorf("L=%d: mean |cos φ| of the directions = %.4f, want 2/π = %.4f ± %.4f", L, meanCos, 2/math.Pi, tol)
		}
		if L != 256 {
			continue // the directions alone; sorting 2·4096 projections of 20,000 points takes a minute
		}
		got, err := SlicedW1(a, b, 2, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if tol := 5 * math.Sqrt(2/float64(n)); math.Abs(got-3*meanCos) > tol {
			t.Errorf("L=%d: SW1 = %.4f, want |Δ|·mean|cos φ_k| = %.4f ± %.4f", L, got, 3*meanCos, tol)
		}
		t.Logf("L=%d: SW1 = %.4f; |Δ|·mean|cos φ_k| = %.4f; |Δ|·2/π = %.4f", L, got, 3*meanCos, 6/math.Pi)
	}
}

// Identities: SW₁(a, a) = 0, symmetry, invariance under a common translation
// and under reordering the points, and homogeneity SW₁(2a, 2b) = 2 SW₁(a, b)
// (exact in floating point: doubling is exact).
func TestSlicedW1Identities(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	d := 3
	a, b := gauss(rng, 500, []float64{0, 1, 2}, 1), gauss(rng, 400, []float64{1, 0, -1}, 2)
	cfg := SlicedConfig{Projections: 64, Seed: 5}
	sw := func(x, y []float32) float64 {
		v, err := SlicedW1(x, y, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ab := sw(a, b)
	if v := sw(a, a); v != 0 {
		t.Errorf("SW(a, a) = %g, want 0", v)
	}
	if v := sw(b, a); math.Abs(v-ab) > 1e-12*ab {
		t.Errorf("SW(b, a) = %.15g ≠ SW(a, b) = %.15g", v, ab)
	}
	shift := func(x []float32) []float32 {
		y := slices.Clone(x)
		for i := range y {
			y[i] += float32(i%d) * 0.75
		}
		return y
	}
	if v := sw(shift(a), shift(b)); math.Abs(v-ab) > 1e-5*ab {
		t.Errorf("translated: %.9g ≠ %.9g", v, ab)
	}
	perm := make([]float32, len(a))
	n := len(a) / d
	for i, p := range rng.Perm(n) {
		copy(perm[i*d:(i+1)*d], a[p*d:(p+1)*d])
	}
	if v := sw(perm, b); math.Abs(v-ab) > 1e-12*ab {
		t.Errorf("permuted: %.15g ≠ %.15g", v, ab)
	}
	double := func(x []float32) []float32 {
		y := slices.Clone(x)
		for i := range y {
			y[i] *= 2
		}
		return y
	}
	if v := sw(double(a), double(b)); math.Abs(v-2*ab) > 1e-12*ab {
		t.Errorf("SW(2a, 2b) = %.15g ≠ 2·%.15g", v, ab)
	}
	if _, err := SlicedW1(a, b[:len(b)-1], d, cfg); err == nil {
		t.Error("a length not a multiple of d was accepted")
	}
}
