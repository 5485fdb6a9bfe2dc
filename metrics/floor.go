package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Distance is a distance between two point sets, e.g.
//
//	func(a, b []float32) (float64, error) { return SlicedW1(a, b, 2, SlicedConfig{}) }
type Distance func(a, b []float32) (float64, error)

// Floor is the floor of a sample-based distance: the distance between two
// independent draws of n points each of the true distribution, the value a
// perfect model would get on average with n samples against n data points
// (every such distance is biased upwards by the finite samples). The draws
// use PCG(seed, 1) and PCG(seed, 2), so a floor is reproducible.
//
// sample draws n points of the true distribution, flattened [n, d], using
// only rng (a data.Distribution).
func Floor(dist Distance, sample func(rng *rand.Rand, n int) []float32, n int, seed uint64) (float64, error) {
	if n < 2 {
		return 0, fmt.Errorf("metrics: Floor needs n ≥ 2, got %d", n)
	}
	a := sample(rand.New(rand.NewPCG(seed, 1)), n)
	b := sample(rand.New(rand.NewPCG(seed, 2)), n)
	return dist(a, b)
}

// Report is one metric of an evaluation: its value, its floor (see Floor) and
// Ratio = Value/Floor (≈ 1 means "as close to the data as data is to itself",
// up to the fluctuation of the two terms; NaN when the floor is 0).
type Report struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Floor float64 `json:"floor"`
	Ratio float64 `json:"ratio"`
}

// NewReport fills a Report, with Ratio = value/floor.
func NewReport(name string, value, floor float64) Report {
	r := Report{Name: name, Value: value, Floor: floor, Ratio: math.NaN()}
	if floor != 0 {
		r.Ratio = value / floor
	}
	return r
}
