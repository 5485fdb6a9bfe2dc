package classifier_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/classifier"
)

// FD is MNIST-FD between two sets of features [N, FeatureDim] (from
// classifier.Features of the committed weights in real use). Here, made-up
// features: a set against itself is 0, and against itself shifted by c in
// every coordinate it is ‖Δμ‖² = c²·FeatureDim (the covariances agree, so
// the trace term of the Fréchet distance vanishes).
func ExampleFD() {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 4 * classifier.FeatureDim
	a := make([]float64, n*classifier.FeatureDim)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	b := make([]float64, len(a))
	for i, v := range a {
		b[i] = v + 0.5
	}
	same, err := classifier.FD(a, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	shifted, err := classifier.FD(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Rounded to 4 decimals; + 0 turns a rounding error's −0 into 0.
	r := func(x float64) float64 { return math.Round(x*1e4)/1e4 + 0 }
	fmt.Printf("%s(a, a) = %g\n%s(a, a + 0.5) = %g (0.25 × %d)\n", classifier.FDName, r(same), classifier.FDName, r(shifted), classifier.FeatureDim)
	// Output:
	// MNIST-FD(a, a) = 0
	// MNIST-FD(a, a + 0.5) = 32 (0.25 × 128)
}
