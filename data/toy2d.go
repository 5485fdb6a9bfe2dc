package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Distribution draws n independent points of a 2-D distribution and returns
// them row-major as an n×2 slice: point i is (out[2i], out[2i+1]). It uses
// only rng for randomness, so a fixed-seed source gives a fixed result.
// For n ≤ 0 it returns an empty slice.
//
// The samplers below are exact: every point is an independent draw of the
// stated distribution (the scikit-learn generators place points on an evenly
// spaced grid of angles and split n exactly in half; here angles and
// components are drawn at random instead). Each distribution is an affine
// rescaling of its classical definition, chosen so that every coordinate has
// a standard deviation between 0.5 and 1.2 and all points lie in about
// [−2.5, 2.5]², which suits a diffusion prior x_T ~ N(0, I).
type Distribution func(rng *rand.Rand, n int) []float32

// Parameters of the toy distributions, in the units of the returned points.
const (
	// SwissRollScale divides scikit-learn's Swiss roll coordinates; with it
	// each coordinate has standard deviation ≈ 1 (0.95 and 1.0).
	SwissRollScale = 7.0
	// SwissRollNoise is scikit-learn's noise parameter (std of the Gaussian
	// added to each coordinate) before division by SwissRollScale.
	SwissRollNoise = 0.5
	// MoonsNoise is scikit-learn's make_moons noise (std per coordinate).
	MoonsNoise = 0.1
	// EightGaussiansRadius is the radius of the ring of centres: the ring of
	// radius 2 of Metz et al. (2017) scaled by 1/√2, which makes the variance
	// of each coordinate R²/2 + σ² ≈ 1.
	EightGaussiansRadius = math.Sqrt2
	// EightGaussiansStd is the standard deviation of each component: the
	// 0.02 of Metz et al. (2017) scaled by the same 1/√2.
	EightGaussiansStd = 0.02 / math.Sqrt2
	// CirclesOuter and CirclesInner are the radii of the two circles:
	// scikit-learn's make_circles(factor=0.5) scaled by 2.
	CirclesOuter = 2.0
	CirclesInner = 1.0
	// CirclesNoise is the std of the Gaussian added to each coordinate:
	// make_circles(noise=0.05) scaled by 2.
	CirclesNoise = 0.1
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

// toySamplers is the registry behind Toy2D; its keys follow FFJORD's names.
var toySamplers = map[string]Distribution{
	"swissroll":    SwissRoll,
	"moons":        TwoMoons,
	"8gaussians":   EightGaussians,
	"checkerboard": Checkerboard,
	"circles":      Circles,
}

// ToyNames returns the names accepted by Toy2D, sorted.
func ToyNames() []string {
	names := make([]string, 0, len(toySamplers))
	for name := range toySamplers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Toy2D returns the distribution registered under name (see ToyNames); an unknown
// name is an error that lists the valid ones.
func Toy2D(name string) (Distribution, error) {
	s, ok := toySamplers[name]
	if !ok {
		return nil, fmt.Errorf("data: unknown toy dataset %q; valid names: %s", name, strings.Join(ToyNames(), ", "))
	}
	return s, nil
}
