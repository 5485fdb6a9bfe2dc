package metrics_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/metrics"
	"gonum.org/v1/gonum/mat"
)

// The Fréchet distance of N(0, 1) and N(3, 2²): (0−3)² + (1−2)² = 10.
func ExampleFrechetGaussians() {
	a := metrics.Gaussian{Mean: []float64{0}, Cov: mat.NewSymDense(1, []float64{1})}
	b := metrics.Gaussian{Mean: []float64{3}, Cov: mat.NewSymDense(1, []float64{4})}
	d, _ := metrics.FrechetGaussians(a, b)
	fmt.Printf("%.6f\n", d)
	// Output: 10.000000
}

// A sample-based distance next to its floor: 2,000 points of the swiss roll
// shifted by 0.5 along x, against 2,000 fresh points, is far above two draws
// of the swiss roll itself (0.32 ≈ 0.5 · 2/π, the sliced W₁ of a shift).
func ExampleFloor() {
	roll, _ := data.Toy2D("swissroll")
	sw := func(a, b []float32) (float64, error) { return metrics.SlicedW1(a, b, 2, metrics.SlicedConfig{}) }
	const n = 2000
	shifted := roll(rand.New(rand.NewPCG(7, 1)), n)
	for i := 0; i < len(shifted); i += 2 {
		shifted[i] += 0.5
	}
	value, _ := sw(shifted, roll(rand.New(rand.NewPCG(7, 2)), n))
	floor, _ := metrics.Floor(sw, roll, n, 0)
	r := metrics.NewReport("sliced-W1", value, floor)
	fmt.Printf("%s: value %.2f, floor %.2f, ratio %.0f\n", r.Name, r.Value, r.Floor, r.Ratio)
	// Output: sliced-W1: value 0.32, floor 0.03, ratio 12
}
