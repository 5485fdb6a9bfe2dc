package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SlicedConfig configures SlicedW1. Zero values take the defaults given.
type SlicedConfig struct {
	// Projections is the number L of random directions; default 256. The
	// projection average has a Monte-Carlo error of order 1/√L relative to
	// its value (for an isotropic shift in 2-D, std |cos θ|/√L ≈ 0.31/√L).
	Projections int
	// Seed seeds the directions (PCG(Seed, 0) of math/rand/v2); default 0.
	// The same seed gives the same directions, so two evaluations are
	// compared on the same slices.
	Seed uint64
}

// WithDefaults fills the zero fields of c.
func (c SlicedConfig) WithDefaults() SlicedConfig {
	if c.Projections == 0 {
		c.Projections = 256
	}
	return c
}

// Directions returns the L unit vectors θ_1 … θ_L in R^d that SlicedW1 projects
// on: each is a standard normal vector of PCG(Seed, 0) divided by its norm,
// hence uniform on the sphere S^{d−1}.
func (c SlicedConfig) Directions(d int) [][]float64 {
	c = c.WithDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, 0))
	dirs := make([][]float64, c.Projections)
	for k := range dirs {
		u := make([]float64, d)
		for {
			var n2 float64
			for j := range u {
				u[j] = rng.NormFloat64()
				n2 += u[j] * u[j]
			}
			if n2 > 1e-24 {
				n := math.Sqrt(n2)
				for j := range u {
					u[j] /= n
				}
				break
			}
		}
		dirs[k] = u
	}
	return dirs
}

// SlicedW1 is the sliced Wasserstein-1 distance between the empirical
// distributions of the point sets a [Na, d] and b [Nb, d] (row-major), averaged
// over the L fixed random directions of cfg:
//
//	SW₁(a, b) = (1/L) Σ_k W₁(θ_k·a, θ_k·b),
//
// the Monte-Carlo form of ∫_{S^{d−1}} W₁(θ·a, θ·b) dσ(θ) (Bonneel et al. 2015).
// Each one-dimensional W₁ is exact (see W1): it sorts the projections.
// For d = 1 every direction is ±1, and W₁ is invariant under x ↦ −x, so
// SlicedW1 returns W₁ itself without projecting. It errors when d < 1, a set is empty, or a length is not a multiple of d.
func SlicedW1(a, b []float32, d int, cfg SlicedConfig) (float64, error) {
	na, nb, err := pointCounts(a, b, d)
	if err != nil {
		return 0, fmt.Errorf("metrics: SlicedW1: %w", err)
	}
	pa, pb := make([]float64, na), make([]float64, nb)
	if d == 1 {
		project(pa, a, []float64{1})
		project(pb, b, []float64{1})
		return W1(pa, pb), nil
	}
	var sum float64
	dirs := cfg.Directions(d)
	for _, u := range dirs {
		project(pa, a, u)
		project(pb, b, u)
		sum += W1(pa, pb)
	}
	return sum / float64(len(dirs)), nil
}

// project sets p[i] = θ·x_i for the rows x_i of x [N, d].
func project(p []float64, x []float32, u []float64) {
	d := len(u)
	for i := range p {
		var s float64
		for j, uj := range u {
			s += float64(x[i*d+j]) * uj
		}
		p[i] = s
	}
}

// W1 is the Wasserstein-1 distance between the empirical distributions of the
// samples a and b on the real line, computed exactly from their quantile
// functions F_a⁻¹, F_b⁻¹ (step functions; Vallender 1974 for the formula):
//
//	W₁ = ∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)| du.
//
// With equal sizes n this is (1/n) Σ_i |a_(i) − b_(i)| for the sorted samples.
// With unequal sizes n ≠ m both quantile functions are constant between
// consecutive points of the common grid {i/n} ∪ {j/m}, so the integral is the
// sum over that merged grid of (interval length) × |a_(i) − b_(j)|: still
// exact, with no interpolation. W1 sorts a and b in place. It panics on an
// empty sample.
func W1(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		panic(fmt.Sprintf("metrics.W1: empty sample (len(a)=%d, len(b)=%d)", len(a), len(b)))
	}
	slices.Sort(a)
	slices.Sort(b)
	n, m := len(a), len(b)
	if n == m {
		var s float64
		for i := range a {
			s += math.Abs(a[i] - b[i])
		}
		return s / float64(n)
	}
	// Walk the merged grid: on (u_prev, u_next] the quantiles are a_(i), b_(j)
	// (0-based), where u_next = min((i+1)/n, (j+1)/m). Integer arithmetic on
	// the common denominator n·m keeps the grid exact.
	var s float64
	var i, j int
	var prev int64 // u_prev · n·m
	for i < n && j < m {
		na, nb := int64(i+1)*int64(m), int64(j+1)*int64(n) // (i+1)/n and (j+1)/m, times n·m
		next := min(na, nb)
		s += float64(next-prev) * math.Abs(a[i]-b[j])
		prev = next
		if na == next {
			i++
		}
		if nb == next {
			j++
		}
	}
	return s / (float64(n) * float64(m))
}

func pointCounts(a, b []float32, d int) (na, nb int, err error) {
	if d < 1 {
		return 0, 0, fmt.Errorf("dimension d=%d must be ≥ 1", d)
	}
	if len(a) == 0 || len(b) == 0 || len(a)%d != 0 || len(b)%d != 0 {
		return 0, 0, fmt.Errorf("point sets of %d and %d values must be non-empty multiples of d=%d", len(a), len(b), d)
	}
	return len(a) / d, len(b) / d, nil
}
