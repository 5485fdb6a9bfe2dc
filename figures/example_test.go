package figures_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/ddpm-go/ddpm-go/figures"
)

// One figure of the README, as PNG bytes from package code: ᾱ_t and SNR(t)
// of the four schedules (schedules.png; "ddpm figures" writes it).
// Its size: two panels of figs.Options' default 6 × 4 inches, side by side,
// at 96 dots per inch (2 × 576 by 384 pixels).
func ExampleSchedules() {
	b, err := figures.Schedules()
	if err != nil {
		fmt.Println(err)
		return
	}
	im, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("schedules.png:", im.Bounds().Dx(), "×", im.Bounds().Dy())
	// Output:
	// schedules.png: 1152 × 384
}
