package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEightGaussiansDataset: the registered toy 8gaussians is 2-D with 8
// classes, the mode of each point: every point lies within 10 standard
// deviations of the centre of its label's mode.
func TestEightGaussiansDataset(t *testing.T) {
	d := checkDataset(t, "8gaussians", []int{2}, 8)
	checkToy(t, d)
	p, labels := d.SampleLabeled(rand.New(rand.NewPCG(5, 6)), 1000)
	for i, k := range labels {
		a := float64(k) * math.Pi / 4
		dx, dy := float64(p[2*i])-EightGaussiansRadius*math.Cos(a), float64(p[2*i+1])-EightGaussiansRadius*math.Sin(a)
		if r := math.Hypot(dx, dy); r > 10*EightGaussiansStd {
			t.Fatalf("point %d is %.3f from the centre of its mode %d, want < %.3f", i, r, k, 10*EightGaussiansStd)
		}
	}
}
