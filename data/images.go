package data

// Images is a batch of N images of H×W pixels with C channels, stored as one
// contiguous uint8 slice in NHWC (row-major, channels last) order: the value
// of channel c of pixel (y, x) of image i is
//
//	Pix[((i*H+y)*W+x)*C+c]
//
// MNIST and Fashion-MNIST images have C = 1, CIFAR-10 images C = 3 (R, G, B).
type Images struct {
	N, H, W, C int
	Pix        []uint8
}

// ImageSize returns the number of values in one image, H·W·C.
func (im *Images) ImageSize() int { return im.H * im.W * im.C }

// Image returns the pixels of image i as a subslice of Pix (not a copy),
// in HWC order. It panics if i is outside [0, N), like a slice index.
func (im *Images) Image(i int) []uint8 {
	s := im.ImageSize()
	return im.Pix[i*s : (i+1)*s : (i+1)*s]
}
