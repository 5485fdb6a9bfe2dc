package data

import (
	"math"
	"math/rand/v2"
)

// init registers the 2-D toy moons (FFJORD's name); its test is moons_test.go.
func init() {
	Register(Dataset{Name: "moons", Doc: "two interleaved half circles (scikit-learn's make_moons, centred)",
		Dims: []int{2}, Sample: TwoMoons})
}

const (
	// MoonsNoise is scikit-learn's make_moons noise (std per coordinate).
	MoonsNoise = 0.1
)

// TwoMoons samples scikit-learn's make_moons(noise=MoonsNoise), shifted so
// that its mean is the origin. Each point picks one of the two half circles
// of radius 1 with probability ½ and θ ~ U(0, π):
//
//	upper: (cos θ − ½, sin θ − ¼),   lower: (½ − cos θ, ¼ − sin θ),
//
// plus N(0, MoonsNoise²·I). Before noise the points fill [−1.5, 1.5] ×
// [−0.75, 0.75]; the coordinate variances are ¾ + 0.01 and 9/16 − 1/π + 0.01.
// (FFJORD further multiplies by 2.)
func TwoMoons(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 2*max(n, 0))
	for i := range max(n, 0) {
		theta := math.Pi * rng.Float64()
		x, y := math.Cos(theta)-0.5, math.Sin(theta)-0.25
		if rng.IntN(2) == 1 {
			x, y = -x, -y
		}
		out[2*i] = float32(x + MoonsNoise*rng.NormFloat64())
		out[2*i+1] = float32(y + MoonsNoise*rng.NormFloat64())
	}
	return out
}
