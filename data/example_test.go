package data_test

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/ddpm-go/ddpm-go/data"
)

// The package's three kinds of entry point: a toy distribution's sampler, an
// MNIST reader, and the batcher that draws minibatch indices from either.
func Example() {
	// 2-D toy data: n points row-major, [n, 2].
	pts := data.SwissRoll(rand.New(rand.NewPCG(1, 2)), 500)
	fmt.Println("swissroll:", len(pts)/2, "points of 2 coordinates")

	// testdata/ holds the first two MNIST test digits and their labels in
	// the authors' IDX format (their labels 7 and 2 are MNIST's own).
	im, err := data.ReadIDXImages("testdata/mnist-test-2.idx")
	if err != nil {
		fmt.Println(err)
		return
	}
	labels, err := data.ReadIDXLabels("testdata/mnist-test-labels-2.idx")
	if err != nil {
		fmt.Println(err)
		return
	}
	x := im.ToFloat32(data.ScaleSymmetric) // Ho et al. (2020, §3.3): {0, …, 255} → [−1, 1]
	fmt.Printf("mnist: %d images %d×%d×%d, labels %v, pixels in [%g, %g]\n", im.N, im.H, im.W, im.C, labels, slices.Min(x), slices.Max(x))

	// Minibatches: each epoch visits every index once, in a seeded order;
	// a step's batch depends on the seed and the step alone.
	b, err := data.NewBatcher(10, 4, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	seen := map[int]bool{}
	for step := range int64(b.BatchesPerEpoch()) {
		for _, i := range b.Indices(step) {
			seen[i] = true
		}
	}
	fmt.Printf("batcher: %d batches of 4 per epoch, %d distinct indices\n", b.BatchesPerEpoch(), len(seen))

	// Bad input is one line naming the file.
	_, err = data.ReadIDXImages("testdata/missing.idx")
	fmt.Println(err != nil)
	// Output:
	// swissroll: 500 points of 2 coordinates
	// mnist: 2 images 28×28×1, labels [7 2], pixels in [-1, 1]
	// batcher: 2 batches of 4 per epoch, 8 distinct indices
	// true
}
