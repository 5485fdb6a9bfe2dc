package data

import (
	"math"
	"math/rand/v2"
)

// init registers the 2-D toy swissroll (FFJORD's name); its test is swissroll_test.go.
func init() {
	Register(Dataset{Name: "swissroll", Doc: "2-D Swiss roll (scikit-learn's make_swiss_roll, (x, z) projection, scaled by 1/7)",
		Dims: []int{2}, Sample: SwissRoll})
}

const (
	// SwissRollScale divides scikit-learn's Swiss roll coordinates; with it
	// each coordinate has standard deviation ≈ 1 (0.95 and 1.0).
	SwissRollScale = 7.0
	// SwissRollNoise is scikit-learn's noise parameter (std of the Gaussian
	// added to each coordinate) before division by SwissRollScale.
	SwissRollNoise = 0.5
)

// SwissRoll samples the 2-D Swiss roll: the (x, z) projection of
// scikit-learn's make_swiss_roll(noise=SwissRollNoise), divided by
// SwissRollScale. With t ~ U(1.5π, 4.5π),
//
//	(x, y) = (t cos t + ε₁, t sin t + ε₂) / SwissRollScale,  ε ~ N(0, SwissRollNoise²·I).
//
// Before noise the points fill [−1.35, 1.80] × [−1.57, 2.02]; the means are
// (2, 2/(3π))/7 ≈ (0.29, 0.03).
// (FFJORD uses noise 1 and divides by 5 instead.)
func SwissRoll(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 2*max(n, 0))
	for i := range max(n, 0) {
		t := 1.5 * math.Pi * (1 + 2*rng.Float64())
		x := t*math.Cos(t) + SwissRollNoise*rng.NormFloat64()
		y := t*math.Sin(t) + SwissRollNoise*rng.NormFloat64()
		out[2*i] = float32(x / SwissRollScale)
		out[2*i+1] = float32(y / SwissRollScale)
	}
	return out
}
