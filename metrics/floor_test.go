package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The floor of W₁ for N(0, 1) with n points each is the distance between two
// independent draws: deterministic for a seed, different across seeds, and
// below the bound 2∫√(Φ(1−Φ))/√n ≈ 3.23/√n on its mean (see
// TestW1SameDistributionIsSmall) up to a factor 2 for one draw. A sample of a
// shifted distribution is well above it: its ratio is large.
func TestFloorAndReport(t *testing.T) {
	t.Parallel()
	normal := func(rng *rand.Rand, n int) []float32 { return gauss(rng, n, []float64{0}, 1) }
	w1 := func(a, b []float32) (float64, error) { return SlicedW1(a, b, 1, SlicedConfig{}) }
	const n = 2000
	f1, err := Floor(w1, normal, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	f1again, _ := Floor(w1, normal, n, 0)
	f2, _ := Floor(w1, normal, n, 1)
	if f1 != f1again || f1 == f2 || f1 <= 0 {
		t.Errorf("floors %g, %g (same seed), %g (other seed)", f1, f1again, f2)
	}
	if bound := 2 * 2 * 1.6147 / math.Sqrt(n); f1 > bound {
		t.Errorf("floor %g above twice its mean's bound %g", f1, bound/2)
	}
	shifted := gauss(rand.New(rand.NewPCG(99, 1)), n, []float64{0.5}, 1)
	data := normal(rand.New(rand.NewPCG(99, 2)), n)
	v, _ := w1(shifted, data)
	r := NewReport("W1", v, f1)
	if r.Ratio != v/f1 || r.Ratio < 5 {
		t.Errorf("report %+v: a shift of 0.5 should be far above the floor", r)
	}
	t.Logf("floor %.4f (seed 0), %.4f (seed 1); shifted sample %+v", f1, f2, r)
	if z := NewReport("x", 1, 0); !math.IsNaN(z.Ratio) {
		t.Errorf("ratio with a zero floor = %g, want NaN", z.Ratio)
	}
}
