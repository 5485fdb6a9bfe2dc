package data

import (
	"math"
	"math/rand/v2"
)

// init registers the 2-D toy circles (FFJORD's name); its test is circles_test.go.
func init() {
	Register(Dataset{Name: "circles", Doc: "two concentric noisy circles (scikit-learn's make_circles(factor=0.5), scaled by 2)",
		Dims: []int{2}, Sample: Circles})
}

const (
	// CirclesOuter and CirclesInner are the radii of the two circles:
	// scikit-learn's make_circles(factor=0.5) scaled by 2.
	CirclesOuter = 2.0
	CirclesInner = 1.0
	// CirclesNoise is the std of the Gaussian added to each coordinate:
	// make_circles(noise=0.05) scaled by 2.
	CirclesNoise = 0.1
)

// Circles samples two concentric noisy circles: scikit-learn's
// make_circles(factor=0.5, noise=0.05) scaled by 2. Each point picks the
// circle of radius CirclesOuter or CirclesInner with probability ½, an angle
// φ ~ U(0, 2π), and adds N(0, CirclesNoise²·I). Each coordinate has mean 0
// and variance (2² + 1²)/4 + 0.1² = 1.26. (FFJORD uses noise 0.08 and
// scales by 3.)
func Circles(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 2*max(n, 0))
	for i := range max(n, 0) {
		r := CirclesOuter
		if rng.IntN(2) == 1 {
			r = CirclesInner
		}
		phi := 2 * math.Pi * rng.Float64()
		out[2*i] = float32(r*math.Cos(phi) + CirclesNoise*rng.NormFloat64())
		out[2*i+1] = float32(r*math.Sin(phi) + CirclesNoise*rng.NormFloat64())
	}
	return out
}
