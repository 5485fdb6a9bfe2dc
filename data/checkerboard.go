package data

import (
	"math"
	"math/rand/v2"
)

// init registers the 2-D toy checkerboard (FFJORD's name); its test is checkerboard_test.go.
func init() {
	Register(Dataset{Name: "checkerboard", Doc: "uniform on the 8 black squares of a 4×4 board (FFJORD's, halved)",
		Dims: []int{2}, Sample: Checkerboard})
}

// Checkerboard samples FFJORD's checkerboard divided by 2: the uniform
// distribution on the 8 black unit squares of a 4×4 board covering
// [−2, 2)², those whose lower-left corner (i, j) has i + j even. Both
// coordinates are marginally U(−2, 2), with variance 4/3. Values are computed
// so that float32 rounding never moves a point onto a white square.
//
// FFJORD draws x₁ ~ U(−2, 2), x₂ ~ U(0, 1) − 2·Bernoulli(½) + (⌊x₁⌋ mod 2)
// and returns 2·(x₁, x₂); choosing the column ⌊x₁⌋ uniformly and then one of
// its two black rows uniformly is the same distribution.
func Checkerboard(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 2*max(n, 0))
	for i := range max(n, 0) {
		col := rng.IntN(4) - 2               // −2, −1, 0, 1
		row := 2*rng.IntN(2) - 2 + (col+2)%2 // same parity as col
		out[2*i] = inCell(col, rng.Float64())
		out[2*i+1] = inCell(row, rng.Float64())
	}
	return out
}

// inCell returns cell+u as a float32 in [cell, cell+1), for u in [0, 1),
// stepping down when rounding to float32 would reach cell+1.
func inCell(cell int, u float64) float32 {
	v := float32(float64(cell) + u)
	if hi := float32(cell + 1); v >= hi {
		v = math.Nextafter32(hi, float32(cell))
	}
	return v
}
