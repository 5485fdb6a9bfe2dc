package figs

import (
	"bytes"
	"image"
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

// labels returns the labelled ticks of DecadeTicks on [min, max].
func labels(min, max float64) []string {
	var l []string
	for _, t := range (DecadeTicks{}).Ticks(min, max) {
		if t.Label != "" {
			l = append(l, t.Label)
		}
	}
	return l
}

func TestDecadeTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string
	}{
		{0.23, 1.1, "0.3 0.5 1"},   // a loss curve: gonum's LogTicks labelled only "1"
		{0.05, 2, "0.1 1"},         // two decades: powers of ten only
		{0.3, 0.9, "0.3 0.5"},      // no power of ten inside: 2×, 3× and 5×
		{0.15, 6, "0.2 0.5 1 2 5"}, // one power of ten: 2× and 5× make three labels
		{1e-5, 1e4, "1e-5 1e-4 0.001 0.01 0.1 1 10 100 1000 1e4"},
		{2e-9, 2e4, "1e-8 1e-7 1e-6 1e-5 1e-4 0.001 0.01 0.1 1 10 100 1000 1e4"}, // the cosine schedule's SNR
		{1e-12, 1e8, "1e-12 1e-10 1e-8 1e-6 1e-4 0.01 1 100 1e4 1e6 1e8"},        // 21 decades: every other one
	} {
		if got := strings.Join(labels(c.min, c.max), " "); got != c.want {
			t.Errorf("[%g, %g]: labels %q, want %q", c.min, c.max, got, c.want)
		}
	}
	if (DecadeTicks{}).Ticks(0, 1) != nil {
		t.Error("a range from 0 has no log ticks")
	}
}

func TestXY(t *testing.T) {
	s := XY("p", []float32{1, 2, 3, 4, 5})
	if s.Name != "p" || len(s.X) != 2 || s.X[1] != 3 || s.Y[1] != 4 {
		t.Errorf("XY: %+v", s)
	}
}

// Plots are paletted PNGs, and so is a row of them; a row with an image
// grid keeps its grey levels (RGBA).
func TestPalettedPlotsAndSideBySide(t *testing.T) {
	x, y := []float64{0, 1, 2}, []float64{1, 3, 2}
	a, err := Lines(Options{Title: "a"}, Series{"s", x, y})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(a))
	if _, ok := img.(*image.Paletted); !ok {
		t.Errorf("a plot decodes as %T, want *image.Paletted", img)
	}
	row, err := SideBySide(a, a)
	if err != nil {
		t.Fatal(err)
	}
	img, _ = png.Decode(bytes.NewReader(row))
	if _, ok := img.(*image.Paletted); !ok || img.Bounds().Dx() != 2*576 {
		t.Errorf("two plots side by side: %T, %d wide", img, img.Bounds().Dx())
	}
	g, _ := Grid([]float32{-1, -0.5, 0, 0.5}, 1, 2, 2, 1, 1, 1)
	row, err = SideBySide(a, g)
	if err != nil {
		t.Fatal(err)
	}
	img, _ = png.Decode(bytes.NewReader(row))
	if _, ok := img.(*image.Paletted); ok {
		t.Error("a row with a grey image was quantised to the plot palette")
	}
}
