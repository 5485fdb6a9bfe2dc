package data

import (
	"math/rand/v2"
)

// Distribution draws n independent points of a 2-D distribution and returns
// them row-major as an n×2 slice: point i is (out[2i], out[2i+1]). It uses
// only rng for randomness, so a fixed-seed source gives a fixed result.
// For n ≤ 0 it returns an empty slice.
//
// The samplers of the toys (one file each: swissroll.go, moons.go,
// eightgaussians.go, checkerboard.go, circles.go, registered as data sets
// with their Sample; [Toy2D] looks them up) are exact: every point is an independent draw of the
// stated distribution (the scikit-learn generators place points on an evenly
// spaced grid of angles and split n exactly in half; here angles and
// components are drawn at random instead). Each distribution is an affine
// rescaling of its classical definition, chosen so that every coordinate has
// a standard deviation between 0.5 and 1.2 and all points lie in about
// [−2.5, 2.5]², which suits a diffusion prior x_T ~ N(0, I).
type Distribution func(rng *rand.Rand, n int) []float32
