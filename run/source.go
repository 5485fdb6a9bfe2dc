package run

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// Source yields the training batch of any step as a pure function of the
// run's seed and the step, so that a resumed run sees the same batches.
type Source interface {
	// Batch returns the examples of step, flattened: [B, …] row-major float32
	// (2-D points, or images scaled to [−1, 1] in NHWC).
	Batch(step int64) []float32
	// Len is the number of training examples (0 for an infinite toy).
	Len() int
	// Labels returns the labels of step's examples (the same examples as
	// Batch(step), in order) for class-conditional training; nil when the
	// data has none.
	Labels(step int64) []int32
}

// NewSource opens (decodes) the training data of c (complete:
// recipe.Config.WithDefaults).
func NewSource(c recipe.Config) (Source, error) {
	if !c.IsImage() {
		d, err := data.Lookup(c.Data)
		if err != nil {
			return nil, err
		}
		return &toySource{sampler: d.Sample, batch: c.Batch, seed: uint64(c.Seed), labeled: d.SampleLabeled}, nil
	}
	imgs, labels, err := recipe.LoadLabelledImages(c, "train")
	if err != nil {
		return nil, err
	}
	if imgs.N < c.Batch {
		return nil, fmt.Errorf("run: %s has %d training images, fewer than the batch size %d", c.Data, imgs.N, c.Batch)
	}
	want := c.ExampleDims()
	if imgs.H != want[0] || imgs.W != want[1] || imgs.C != want[2] {
		return nil, fmt.Errorf("run: %s images are %d×%d×%d but the U-Net is configured for %d×%d×%d", c.Data, imgs.H, imgs.W, imgs.C, want[0], want[1], want[2])
	}
	order, err := data.NewBatcher(imgs.N, c.Batch, uint64(c.Seed))
	if err != nil {
		return nil, err
	}
	return &imageSource{imgs: imgs, labels: labels, order: order}, nil
}

type toySource struct {
	sampler data.Distribution
	batch   int
	seed    uint64
	labeled func(rng *rand.Rand, n int) ([]float32, []int32) // nil: unlabelled (data.Dataset.SampleLabeled)
}

func (s *toySource) Batch(step int64) []float32 {
	return s.sampler(rand.New(rand.NewPCG(s.seed, uint64(step))), s.batch)
}

// Labels draws step's batch again (the same stream) for its modes.
func (s *toySource) Labels(step int64) []int32 {
	if s.labeled == nil {
		return nil
	}
	_, y := s.labeled(rand.New(rand.NewPCG(s.seed, uint64(step))), s.batch)
	return y
}

func (s *toySource) Len() int { return 0 }

// imageSource walks the images in a fresh permutation each epoch (seeded by
// the run's seed and the epoch), dropping the last partial batch.
type imageSource struct {
	imgs   *data.Images
	labels []uint8
	order  *data.Batcher
}

func (s *imageSource) Batch(step int64) []float32 {
	return s.imgs.Batch(s.indices(step), data.ScaleSymmetric)
}

// indices are the examples of step: a slice of its epoch's permutation.
func (s *imageSource) indices(step int64) []int { return s.order.Indices(step) }

func (s *imageSource) Labels(step int64) []int32 {
	if s.labels == nil {
		return nil
	}
	idx := s.indices(step)
	y := make([]int32, len(idx))
	for j, i := range idx {
		y[j] = int32(s.labels[i])
	}
	return y
}

func (s *imageSource) Len() int { return s.imgs.N }
