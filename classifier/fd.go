package metrics

import (
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// MNISTFDName is the name under which MNIST-FD is reported: the Fréchet
// distance on the penultimate-layer features of our MNIST classifier
// (package classifier), not the Inception FID.
const MNISTFDName = "MNIST-FD"

// MNISTFD is the Fréchet distance (FrechetDistance) between the classifier
// features of two image sets a and b, each flattened [N, 28, 28, 1] float32
// in [−1, 1] (N ≥ 2), with the classifier whose weights are in store (see
// classifier.Load). Its floor is MNISTFD between two sets of real digits of
// the same sizes (e.g. training images against test images).
func MNISTFD(backend compute.Backend, store *model.Store, a, b []float32) (float64, error) {
	fa, err := classifier.Features(backend, store, a)
	if err != nil {
		return 0, err
	}
	fb, err := classifier.Features(backend, store, b)
	if err != nil {
		return 0, err
	}
	return FrechetDistance(fa, fb, classifier.FeatureDim)
}
