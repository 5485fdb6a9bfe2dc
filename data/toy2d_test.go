package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const toyN = 200_000

// moments returns the per-coordinate means and (population) variances of an
// n×2 row-major sample.
func moments(p []float32) (mean, variance [2]float64) {
	n := float64(len(p) / 2)
	for i := 0; i < len(p); i += 2 {
		mean[0] += float64(p[i])
		mean[1] += float64(p[i+1])
	}
	mean[0] /= n
	mean[1] /= n
	for i := 0; i < len(p); i += 2 {
		d0, d1 := float64(p[i])-mean[0], float64(p[i+1])-mean[1]
		variance[0] += d0 * d0
		variance[1] += d1 * d1
	}
	variance[0] /= n
	variance[1] /= n
	return mean, variance
}

// TestToyMoments compares sample moments with the closed forms stated in the
// samplers' documentation. With n = 2e5 the standard error of each mean is
// below 0.003 and of each variance below 0.006.
func TestToyMoments(t *testing.T) {
	// Swiss roll, raw units: t ~ U(1.5π, 4.5π); E[t cos t] = 2,
	// E[t sin t] = 2/(3π), E[t²] = 9.75π², E[t² cos 2t] = −0.5.
	et2 := 9.75 * math.Pi * math.Pi
	s2 := SwissRollScale * SwissRollScale
	nz := SwissRollNoise * SwissRollNoise
	my := 2 / (3 * math.Pi)
	r8 := EightGaussiansRadius*EightGaussiansRadius/2 + EightGaussiansStd*EightGaussiansStd
	circ := (CirclesOuter*CirclesOuter+CirclesInner*CirclesInner)/4 + CirclesNoise*CirclesNoise
	tests := []struct {
		name     string
		sample   Distribution
		mean     [2]float64
		variance [2]float64
	}{
		{"swissroll", SwissRoll,
			[2]float64{2 / SwissRollScale, my / SwissRollScale},
			[2]float64{((et2-0.5)/2 - 4 + nz) / s2, ((et2+0.5)/2 - my*my + nz) / s2}},
		{"moons", TwoMoons, [2]float64{0, 0},
			[2]float64{0.75 + MoonsNoise*MoonsNoise, 9.0/16 - 1/math.Pi + MoonsNoise*MoonsNoise}},
		{"8gaussians", EightGaussians, [2]float64{0, 0}, [2]float64{r8, r8}},
		{"checkerboard", Checkerboard, [2]float64{0, 0}, [2]float64{4.0 / 3, 4.0 / 3}},
		{"circles", Circles, [2]float64{0, 0}, [2]float64{circ, circ}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.sample(rand.New(rand.NewPCG(1, 2)), toyN)
			if len(p) != 2*toyN {
				t.Fatalf("len = %d, want %d", len(p), 2*toyN)
			}
			mean, variance := moments(p)
			for d := range 2 {
				if math.Abs(mean[d]-tc.mean[d]) > 0.015 {
					t.Errorf("mean[%d] = %.4f, want %.4f", d, mean[d], tc.mean[d])
				}
				if math.Abs(variance[d]-tc.variance[d]) > 0.03 {
					t.Errorf("var[%d] = %.4f, want %.4f", d, variance[d], tc.variance[d])
				}
				// The documented normalisation: std in [0.5, 1.2].
				if s := math.Sqrt(variance[d]); s < 0.5 || s > 1.2 {
					t.Errorf("std[%d] = %.3f, outside the documented [0.5, 1.2]", d, s)
				}
			}
			for i, v := range p {
				if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 2.5 {
					t.Fatalf("coordinate %d = %v outside [-2.5, 2.5]", i, v)
				}
			}
		})
	}
}

func TestSwissRollOnSpiral(t *testing.T) {
	p := SwissRoll(rand.New(rand.NewPCG(3, 4)), 10_000)
	lo, hi := 1.5*math.Pi-6*SwissRollNoise, 4.5*math.Pi+6*SwissRollNoise
	for i := 0; i < len(p); i += 2 {
		r := SwissRollScale * math.Hypot(float64(p[i]), float64(p[i+1]))
		if r < lo || r > hi {
			t.Fatalf("point %d has raw radius %.2f, outside [%.2f, %.2f]", i/2, r, lo, hi)
		}
	}
}

func TestEightGaussiansModes(t *testing.T) {
	p := EightGaussians(rand.New(rand.NewPCG(5, 6)), 80_000)
	var count [8]int
	for i := 0; i < len(p); i += 2 {
		x, y := float64(p[i]), float64(p[i+1])
		k := int(math.Round(math.Atan2(y, x)/(math.Pi/4))+8) % 8
		a := float64(k) * math.Pi / 4
		d := math.Hypot(x-EightGaussiansRadius*math.Cos(a), y-EightGaussiansRadius*math.Sin(a))
		if d > 6*EightGaussiansStd {
			t.Fatalf("point %d (%.3f, %.3f) is %.1fσ from the nearest centre", i/2, x, y, d/EightGaussiansStd)
		}
		count[k]++
	}
	for k, c := range count {
		if c < 9_500 || c > 10_500 {
			t.Errorf("mode %d has %d of 80000 points, want about 10000", k, c)
		}
	}
}

func TestCheckerboardSquares(t *testing.T) {
	p := Checkerboard(rand.New(rand.NewPCG(7, 8)), toyN)
	var cells [4][4]int
	for i := 0; i < len(p); i += 2 {
		x, y := p[i], p[i+1]
		if x < -2 || x >= 2 || y < -2 || y >= 2 {
			t.Fatalf("point %d (%v, %v) outside [-2, 2)²", i/2, x, y)
		}
		cx, cy := int(math.Floor(float64(x))), int(math.Floor(float64(y)))
		if (cx+cy)%2 != 0 {
			t.Fatalf("point %d (%v, %v) lies on a white square", i/2, x, y)
		}
		cells[cx+2][cy+2]++
	}
	for i := range 4 {
		for j := range 4 {
			if (i+j)%2 == 0 && (cells[i][j] < 23_500 || cells[i][j] > 26_500) {
				t.Errorf("square (%d, %d) has %d points, want about %d", i-2, j-2, cells[i][j], toyN/8)
			}
		}
	}
	// Rounding guard: values just below a cell edge stay in the cell.
	if v := inCell(-2, math.Nextafter(1, 0)); v >= -1 {
		t.Errorf("inCell(-2, 1-ε) = %v, want < -1", v)
	}
}

func TestCirclesRadii(t *testing.T) {
	p := Circles(rand.New(rand.NewPCG(9, 10)), 20_000)
	outer := 0
	for i := 0; i < len(p); i += 2 {
		r := math.Hypot(float64(p[i]), float64(p[i+1]))
		switch {
		case math.Abs(r-CirclesOuter) < 6*CirclesNoise:
			outer++
		case math.Abs(r-CirclesInner) < 6*CirclesNoise:
		default:
			t.Fatalf("point %d has radius %.3f, on neither circle", i/2, r)
		}
	}
	if outer < 9_500 || outer > 10_500 {
		t.Errorf("%d of 20000 points on the outer circle, want about 10000", outer)
	}
}

func TestToyDeterminism(t *testing.T) {
	for _, name := range ToyNames() {
		s, err := Toy2D(name)
		if err != nil {
			t.Fatal(err)
		}
		a := s(rand.New(rand.NewPCG(42, 0)), 100)
		b := s(rand.New(rand.NewPCG(42, 0)), 100)
		c := s(rand.New(rand.NewPCG(43, 0)), 100)
		if !slices.Equal(a, b) {
			t.Errorf("%s: same seed gave different samples", name)
		}
		if slices.Equal(a, c) {
			t.Errorf("%s: different seeds gave identical samples", name)
		}
		if got := s(rand.New(rand.NewPCG(1, 1)), 0); len(got) != 0 {
			t.Errorf("%s: n=0 gave %d values", name, len(got))
		}
		if got := s(rand.New(rand.NewPCG(1, 1)), -3); len(got) != 0 {
			t.Errorf("%s: n=-3 gave %d values", name, len(got))
		}
	}
}

func TestToyRegistry(t *testing.T) {
	want := []string{"8gaussians", "checkerboard", "circles", "moons", "swissroll"}
	if got := ToyNames(); !slices.Equal(got, want) {
		t.Fatalf("ToyNames() = %v, want %v", got, want)
	}
	_, err := Toy2D("spirals")
	if err == nil {
		t.Fatal("Toy2D(\"spirals\") succeeded, want error")
	}
	msg := err.Error()
	if !strings.Contains(msg, `"spirals"`) || !strings.Contains(msg, strings.Join(want, ", ")) {
		t.Errorf("error %q should name the bad input and list %v", msg, want)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
}
