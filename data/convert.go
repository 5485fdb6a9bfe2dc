package data

import (
	"fmt"
	"math"
)

// Scale selects the affine map between uint8 pixel values and float32.
type Scale int

const (
	// ScaleSymmetric maps v ∈ {0, …, 255} to v/127.5 − 1 ∈ [−1, 1], so 0 → −1
	// and 255 → 1 exactly. This is the data scaling of Ho et al. (2020, §3.3:
	// "image data consists of integers in {0, 1, …, 255} scaled linearly to
	// [−1, 1]"), which matches the N(0, I) prior.
	ScaleSymmetric Scale = iota
	// ScaleUnit maps v to v/255 ∈ [0, 1].
	ScaleUnit
)

// String returns the name ParseScale accepts.
func (s Scale) String() string {
	switch s {
	case ScaleSymmetric:
		return "symmetric"
	case ScaleUnit:
		return "unit"
	}
	return fmt.Sprintf("Scale(%d)", int(s))
}

// ParseScale returns the Scale named "symmetric" ([−1, 1]) or "unit"
// ([0, 1]), e.g. for a command-line flag.
func ParseScale(name string) (Scale, error) {
	switch name {
	case "symmetric":
		return ScaleSymmetric, nil
	case "unit":
		return ScaleUnit, nil
	}
	return 0, fmt.Errorf("data: unknown pixel scale %q; valid scales: symmetric ([-1,1]), unit ([0,1])", name)
}

// table returns the float32 value of every byte under s. It panics for a
// Scale that is not one of the constants above: that is a programming error,
// user input goes through ParseScale.
func (s Scale) table() *[256]float32 {
	var t [256]float32
	for v := range t {
		switch s {
		case ScaleSymmetric:
			t[v] = float32(float64(v)/127.5 - 1)
		case ScaleUnit:
			t[v] = float32(float64(v) / 255)
		default:
			panic(fmt.Sprintf("data: invalid %v; use ScaleSymmetric or ScaleUnit", s))
		}
	}
	return &t
}

// ToFloat32 returns all pixels mapped by scale, in the same NHWC order and
// length as Pix.
func (im *Images) ToFloat32(scale Scale) []float32 {
	t := scale.table()
	out := make([]float32, len(im.Pix))
	for i, v := range im.Pix {
		out[i] = t[v]
	}
	return out
}

// Batch gathers the images idx[0], idx[1], … mapped by scale into one NHWC
// slice of len(idx)·H·W·C values, ready to be a [len(idx), H, W, C] tensor.
// It panics if an index is outside [0, N), like a slice index.
func (im *Images) Batch(idx []int, scale Scale) []float32 {
	t := scale.table()
	size := im.ImageSize()
	out := make([]float32, len(idx)*size)
	for k, i := range idx {
		if i < 0 || i >= im.N {
			panic(fmt.Sprintf("data: Batch index %d (position %d) out of range [0, %d)", i, k, im.N))
		}
		dst := out[k*size : (k+1)*size]
		for j, v := range im.Pix[i*size : (i+1)*size] {
			dst[j] = t[v]
		}
	}
	return out
}

// ToUint8 is the inverse of the scale map for saving samples as images: it
// maps each value back to [0, 255], rounds to the nearest integer, and clips
// values outside the range (a sampler's output is not confined to it); NaN
// becomes 0. It panics for an invalid Scale, like ToFloat32.
func ToUint8(x []float32, scale Scale) []uint8 {
	var a, b float64 // byte = a·x + b
	switch scale {
	case ScaleSymmetric:
		a, b = 127.5, 127.5
	case ScaleUnit:
		a, b = 255, 0
	default:
		panic(fmt.Sprintf("data: invalid %v; use ScaleSymmetric or ScaleUnit", scale))
	}
	out := make([]uint8, len(x))
	for i, v := range x {
		y := math.Round(a*float64(v) + b)
		switch {
		case y >= 255:
			out[i] = 255
		case y > 0:
			out[i] = uint8(y)
		default: // y ≤ 0 or NaN
			out[i] = 0
		}
	}
	return out
}
