package ddpm_test

import (
	"fmt"
	"math"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// The linear schedule of Ho et al. at a few paper steps t (index t−1).
func ExampleNewSchedule() {
	s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{Kind: ddpm.LinearSchedule, T: 1000})
	if err != nil {
		panic(err)
	}
	for _, t := range []int{1, 500, 1000} {
		i := t - 1
		fmt.Printf("t=%4d  β=%.5f  ᾱ=%.5f  β̃=%.5f\n", t, s.Betas[i], s.AlphasBar[i], s.PosteriorVariance[i])
	}
	// Output:
	// t=   1  β=0.00010  ᾱ=0.99990  β̃=0.00000
	// t= 500  β=0.01004  ᾱ=0.07859  β̃=0.01003
	// t=1000  β=0.02000  ᾱ=0.00004  β̃=0.02000
}

// Bayes' rule on a grid gives the same posterior as the closed form (Eq. 7).
func ExampleSchedule_BayesPosterior1D() {
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{})
	mean, variance := s.Posterior1D(99, 0.5, 0.3)
	grid, _ := s.BayesPosterior1D(99, 0.5, 0.3, -1, 2, 3001)
	fmt.Printf("closed form: μ̃=%.6f β̃=%.6f\n", mean, variance)
	fmt.Printf("grid:        μ̃=%.6f β̃=%.6f\n", grid.Mean, grid.Variance)
	// Output:
	// closed form: μ̃=0.303807 β̃=0.002035
	// grid:        μ̃=0.303807 β̃=0.002035
}

// Ancestral sampling (Algorithm 2) with the exact ε of x_0 ~ N(0.5, 0.25)
// recovers the data's mean and standard deviation, with a fixed seed.
func ExampleSampler() {
	b := backend.Must() // XLA when a PJRT plugin is installed, else pure Go
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{T: 200, Rescale: true})
	sm, err := ddpm.NewSampler(b, model.NewStore(), s, ddpm.GaussianDataEps(s, 0.5, 0.25), ddpm.SampleConfig{})
	if err != nil {
		panic(err)
	}
	x0, _, err := sm.SampleNoise(b, []int{20000, 1}, 42)
	if err != nil {
		panic(err)
	}
	var sum, sum2 float64
	for _, v := range x0.Value().([][]float32) {
		sum += float64(v[0])
		sum2 += float64(v[0]) * float64(v[0])
	}
	mean := sum / 20000
	fmt.Printf("mean %.2f, std %.2f\n", mean, math.Sqrt(sum2/20000-mean*mean))
	// Output:
	// mean 0.50, std 0.50
}

// The closed form of the forward process (Eq. 4), x_t = √ᾱ_t x_0 +
// √(1−ᾱ_t) ε, at paper steps 1, 250 and 1000 for x_0 = 1 and a fixed ε = 0.5:
// the signal fades from x_0 to the noise (ᾱ at index 249 is 0.5240853738,
// testdata/REFERENCES.md, so x_t = 0.72394 + 0.5 · 0.68986).
func ExampleQSample() {
	s := ddpm.MustNewSchedule(ddpm.ScheduleConfig{})
	xt := graph.MustExecOnce(backend.Must(), func(x0, eps, t *graph.Node) *graph.Node {
		return ddpm.QSample(s, x0, t, eps)
	}, []float32{1, 1, 1}, []float32{0.5, 0.5, 0.5}, []int32{0, 249, 999})
	for i, v := range xt.Value().([]float32) {
		fmt.Printf("t=%4d  x_t=%.4f\n", []int{1, 250, 1000}[i], v)
	}
	// Output:
	// t=   1  x_t=1.0050
	// t= 250  x_t=1.0689
	// t=1000  x_t=0.5063
}
