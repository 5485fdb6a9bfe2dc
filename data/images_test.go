package data

import "testing"

func TestImagesLayout(t *testing.T) {
	im := &Images{N: 2, H: 2, W: 3, C: 2, Pix: make([]uint8, 2*2*3*2)}
	for i := range im.Pix {
		im.Pix[i] = uint8(i)
	}
	if got := im.ImageSize(); got != 12 {
		t.Fatalf("ImageSize = %d, want 12", got)
	}
	img := im.Image(1)
	if len(img) != 12 || img[0] != 12 || img[11] != 23 {
		t.Fatalf("Image(1) = %v, want 12..23", img)
	}
	// Pixel (y=1, x=2), channel 1 of image 1 sits at ((1*2+1)*3+2)*2+1 = 23.
	if got := img[(1*3+2)*2+1]; got != 23 {
		t.Errorf("NHWC index: got %d, want 23", got)
	}
	// The returned slice must not let appends clobber the next image.
	first := im.Image(0)
	_ = append(first, 99)
	if im.Pix[12] != 12 {
		t.Errorf("append to Image(0) overwrote image 1")
	}
}
