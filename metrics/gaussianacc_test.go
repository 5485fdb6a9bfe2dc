package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Merging rows in uneven batches gives FitGaussian's mean and unbiased
// covariance of all the rows at once (the identity of Chan, Golub &
// LeVeque's pairwise update), to rounding.
func TestGaussianAccMatchesFitGaussian(t *testing.T) {
	t.Parallel()
	const f, n = 3, 101
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n*f)
	for i := range x {
		x[i] = r.NormFloat64()*float64(1+i%f) + float64(i%f)*5
	}
	want, err := FitGaussian(x, f)
	if err != nil {
		t.Fatal(err)
	}
	acc := NewGaussianAcc(f)
	for _, cut := range [][2]int{{0, 1}, {1, 40}, {40, 41}, {41, 41}, {41, 101}} {
		if err := acc.Add(x[cut[0]*f : cut[1]*f]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := acc.Gaussian()
	if err != nil || acc.N() != n {
		t.Fatalf("N %d, %v", acc.N(), err)
	}
	for j := range f {
		if math.Abs(got.Mean[j]-want.Mean[j]) > 1e-12 {
			t.Errorf("mean[%d] = %v, want %v", j, got.Mean[j], want.Mean[j])
		}
		for k := range f {
			if math.Abs(got.Cov.At(j, k)-want.Cov.At(j, k)) > 1e-12*(1+math.Abs(want.Cov.At(j, k))) {
				t.Errorf("cov[%d,%d] = %v, want %v", j, k, got.Cov.At(j, k), want.Cov.At(j, k))
			}
		}
	}
	if err := NewGaussianAcc(f).Add(x[:4]); err == nil {
		t.Error("4 values accepted as rows of 3")
	}
	if _, err := NewGaussianAcc(f).Gaussian(); err == nil {
		t.Error("an empty accumulator gave a Gaussian")
	}
}
