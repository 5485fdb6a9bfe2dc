package figs

import (
	"bytes"
	"image/png"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func decode(t *testing.T, b []byte) (w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestPlotsRenderPNG(t *testing.T) {
	x := make([]float64, 50)
	y := make([]float64, 50)
	for i := range x {
		x[i], y[i] = float64(i), math.Exp(-float64(i)/10)
	}
	for name, f := range map[string]func() ([]byte, error){
		"lines":   func() ([]byte, error) { return Lines(Options{Title: "t", LogY: true}, Series{"a", x, y}) },
		"scatter": func() ([]byte, error) { return Scatter(Options{}, Series{"data", x, y}, Series{"samples", y, x}) },
		"histogram": func() ([]byte, error) {
			return Histogram(Options{}, 10, []Series{{Name: "s", Y: y}}, Series{"pdf", x, y})
		},
	} {
		b, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w, h := decode(t, b); w != 576 || h != 384 {
			t.Errorf("%s: %dx%d, want 576x384 (6×4 in at 96 dpi)", name, w, h)
		}
	}
	if _, err := Lines(Options{}, Series{"bad", x, y[:3]}); err == nil || !strings.Contains(err.Error(), "50 x and 3 y") {
		t.Errorf("mismatched series: %v", err)
	}
}

func TestGridPixels(t *testing.T) {
	// Two 2×2 grey images: −1 (black) and +1 (white).
	x := []float32{-1, -1, -1, -1, 1, 1, 1, 1}
	b, err := Grid(x, 2, 2, 2, 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(b))
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2*(2*3+2)+2 || h != 2*3+4 {
		t.Fatalf("grid %dx%d", w, h)
	}
	if r, _, _, _ := img.At(2, 2).RGBA(); r != 0 {
		t.Errorf("first image not black: %d", r)
	}
	if r, _, _, _ := img.At(2+8, 2).RGBA(); r != 0xffff {
		t.Errorf("second image not white: %d", r)
	}
	if _, err := Grid(x, 3, 2, 2, 1, 0, 1); err == nil {
		t.Error("wrong length accepted")
	}
	p := filepath.Join(t.TempDir(), "sub", "g.png")
	if err := WriteFile(p, b); err != nil {
		t.Fatal(err)
	}
}
