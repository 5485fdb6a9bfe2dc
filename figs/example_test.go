package figs_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/ddpm-go/ddpm-go/figs"
)

// Lines draws series and returns PNG bytes (6×4 in at 96 dpi unless
// Options says otherwise); Grid lays out images in [−1, 1] as a PNG.
func Example() {
	x := []float64{0, 1, 2, 3}
	b, err := figs.Lines(figs.Options{Title: "y = x²", XLabel: "x", YLabel: "y"},
		figs.Series{Name: "x²", X: x, Y: []float64{0, 1, 4, 9}})
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("lines: %d×%d PNG\n", img.Bounds().Dx(), img.Bounds().Dy())

	// Two 2×2 grey images (black, white), one row, each pixel drawn 3×3,
	// a 2-pixel border: (2·(2·3+2)+2) × (2·3+4).
	g, err := figs.Grid([]float32{-1, -1, -1, -1, 1, 1, 1, 1}, 2, 2, 2, 1, 2, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err = png.Decode(bytes.NewReader(g))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("grid: %d×%d PNG\n", img.Bounds().Dx(), img.Bounds().Dy())

	// A series whose X and Y differ in length is refused before drawing.
	_, err = figs.Lines(figs.Options{}, figs.Series{Name: "bad", X: x, Y: x[:2]})
	fmt.Println(err != nil)
	// Output:
	// lines: 576×384 PNG
	// grid: 18×10 PNG
	// true
}
