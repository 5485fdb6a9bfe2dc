package field

import (
	"math"
	"strings"
	"testing"
)

// The one rule for float knobs: finite, no overflow of float32, no
// underflow to 0 (bounds from IEEE 754 binary32: largest finite
// (2 − 2⁻²³)·2¹²⁷ = math.MaxFloat32, smallest normal 2⁻¹²⁶).
func TestRepresentable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v    float64
		want string // "" passes
	}{
		{0, ""}, {1, ""}, {-2.5, ""}, {1e-4, ""},
		{math.MaxFloat32, ""}, {-math.MaxFloat32, ""}, {0x1p-126, ""}, {-0x1p-126, ""},
		{1e-300, "underflows to 0 in float32"}, {-1e-300, "underflows"}, {0x1p-127, "underflows"},
		{1e39, "overflows float32"}, {-1e300, "overflows"}, {math.Nextafter(math.MaxFloat32, math.Inf(1)), "overflows"},
		{math.NaN(), "finite"}, {math.Inf(1), "finite"}, {math.Inf(-1), "finite"},
	} {
		got := Representable(c.v)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("Representable(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

// CheckFloats checks every exported float64 field, in order, and names the
// first that fails; other fields are not its business.
func TestCheckFloats(t *testing.T) {
	t.Parallel()
	type cfg struct {
		Steps int
		Rate  float64
		Gamma float64
		Name  string
		hid   float64
	}
	if err := CheckFloats("p", "Cfg", cfg{Steps: -1, Rate: 2e-4, hid: 1e-300}); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
	err := CheckFloats("p", "Cfg", &cfg{Rate: 1e39, Gamma: 1e-300})
	fe := As(err)
	if fe == nil || fe.Path() != "Cfg.Rate" || fe.Value != 1e39 || !strings.Contains(fe.Want, "overflows") {
		t.Errorf("Rate 1e39, Gamma 1e-300: %v", err)
	}
	if fe := As(CheckFloats("p", "Cfg", cfg{Gamma: 1e-300})); fe == nil || fe.Path() != "Cfg.Gamma" {
		t.Errorf("Gamma 1e-300: %v", fe)
	}
}
