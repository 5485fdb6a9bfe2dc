package data

import (
	"math"
	"math/rand/v2"
)

// init registers the 2-D toy 8gaussians (FFJORD's name); its test is eightgaussians_test.go.
func init() {
	Register(Dataset{Name: "8gaussians", Doc: "ring of 8 narrow Gaussians (Metz et al. 2017, scaled by 1/√2), labelled by mode",
		Dims: []int{2}, Classes: 8, Sample: EightGaussians, SampleLabeled: EightGaussiansLabeled})
}

const (
	// EightGaussiansRadius is the radius of the ring of centres: the ring of
	// radius 2 of Metz et al. (2017) scaled by 1/√2, which makes the variance
	// of each coordinate R²/2 + σ² ≈ 1.
	EightGaussiansRadius = math.Sqrt2
	// EightGaussiansStd is the standard deviation of each component: the
	// 0.02 of Metz et al. (2017) scaled by the same 1/√2.
	EightGaussiansStd = 0.02 / math.Sqrt2
)

// EightGaussians samples an equal-weight mixture of 8 isotropic Gaussians
// with standard deviation EightGaussiansStd whose centres are equally spaced
// on the circle of radius EightGaussiansRadius, at angles kπ/4, k = 0…7.
// This is the ring of Metz et al. (2017) — radius 2, std 0.02 — scaled by
// 1/√2, so each coordinate has mean 0 and variance 1 + 0.0002. The narrow
// modes make missing ones easy to see. (FFJORD's 8gaussians uses radius
// 4/1.414 and std 0.5/1.414.)
func EightGaussians(rng *rand.Rand, n int) []float32 {
	out, _ := EightGaussiansLabeled(rng, n)
	return out
}

// EightGaussiansLabeled is [EightGaussians] with each point's mode k ∈ 0…7
// as its label (the same points for the same rng): the labelled toy of
// class-conditional training.
func EightGaussiansLabeled(rng *rand.Rand, n int) ([]float32, []int32) {
	out := make([]float32, 2*max(n, 0))
	labels := make([]int32, max(n, 0))
	for i := range max(n, 0) {
		k := rng.IntN(8)
		a := float64(k) * math.Pi / 4
		out[2*i] = float32(EightGaussiansRadius*math.Cos(a) + EightGaussiansStd*rng.NormFloat64())
		out[2*i+1] = float32(EightGaussiansRadius*math.Sin(a) + EightGaussiansStd*rng.NormFloat64())
		labels[i] = int32(k)
	}
	return out, labels
}
