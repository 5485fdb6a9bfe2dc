package data

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestToFloat32(t *testing.T) {
	im := &Images{N: 1, H: 1, W: 4, C: 1, Pix: []uint8{0, 127, 128, 255}}
	sym := im.ToFloat32(ScaleSymmetric)
	want := []float32{-1, 127/127.5 - 1, 128/127.5 - 1, 1}
	if !slices.Equal(sym, want) {
		t.Errorf("symmetric: got %v, want %v", sym, want)
	}
	unit := im.ToFloat32(ScaleUnit)
	if want := []float32{0, 127.0 / 255, 128.0 / 255, 1}; !slices.Equal(unit, want) {
		t.Errorf("unit: got %v, want %v", unit, want)
	}
}

func TestBatch(t *testing.T) {
	im := &Images{N: 3, H: 2, W: 1, C: 2, Pix: ramp(12)}
	all := im.ToFloat32(ScaleSymmetric)
	idx := []int{2, 0, 2}
	got := im.Batch(idx, ScaleSymmetric)
	var want []float32
	for _, i := range idx {
		want = append(want, all[i*4:(i+1)*4]...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Batch(%v) = %v, want %v", idx, got, want)
	}
	if got := im.Batch(nil, ScaleUnit); len(got) != 0 {
		t.Errorf("Batch(nil) has %d values, want 0", len(got))
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "index 3 (position 1) out of range [0, 3)") {
			t.Errorf("Batch with a bad index: recovered %v", r)
		}
	}()
	im.Batch([]int{0, 3}, ScaleSymmetric)
}

func TestToUint8RoundTrip(t *testing.T) {
	im := &Images{N: 1, H: 1, W: 256, C: 1, Pix: make([]uint8, 256)}
	for i := range im.Pix {
		im.Pix[i] = uint8(i)
	}
	for _, s := range []Scale{ScaleSymmetric, ScaleUnit} {
		if got := ToUint8(im.ToFloat32(s), s); !slices.Equal(got, im.Pix) {
			t.Errorf("%v: round trip changed the bytes: %v", s, got)
		}
	}
	inf := float32(math.Inf(1))
	x := []float32{-2, -1.001, 1.001, 2, inf, -inf, float32(math.NaN()), 0, 0.004, 0.0041}
	want := []uint8{0, 0, 255, 255, 255, 0, 0, 128, 128, 128}
	// 127.5·0.004+127.5 = 128.01 → 128; 0 maps to 127.5 → rounds half away to 128.
	if got := ToUint8(x, ScaleSymmetric); !slices.Equal(got, want) {
		t.Errorf("ToUint8(%v) = %v, want %v", x, got, want)
	}
}

func TestParseScale(t *testing.T) {
	for _, s := range []Scale{ScaleSymmetric, ScaleUnit} {
		got, err := ParseScale(s.String())
		if err != nil || got != s {
			t.Errorf("ParseScale(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	_, err := ParseScale("minus-one-one")
	checkErr(t, err, "", `unknown pixel scale "minus-one-one"`, "symmetric", "unit")
	if got := Scale(7).String(); got != "Scale(7)" {
		t.Errorf("Scale(7).String() = %q", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "invalid Scale(7)") {
			t.Errorf("invalid Scale: recovered %v", r)
		}
	}()
	(&Images{N: 1, H: 1, W: 1, C: 1, Pix: []uint8{0}}).ToFloat32(Scale(7))
}
