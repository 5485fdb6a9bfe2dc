package experiment

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/internal/field"
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

// NewSource opens the training data of c (after WithDefaults).
func NewSource(c Config) (Source, error) {
	if !c.IsImage() {
		d, err := data.Lookup(c.Data)
		if err != nil {
			return nil, err
		}
		return &toySource{sampler: d.Sample, batch: c.Batch, seed: uint64(c.Seed), labeled: d.SampleLabeled}, nil
	}
	imgs, labels, err := loadImages(c, "train")
	if err != nil {
		return nil, err
	}
	if imgs.N < c.Batch {
		return nil, fmt.Errorf("experiment: %s has %d training images, fewer than the batch size %d", c.Data, imgs.N, c.Batch)
	}
	want := c.ExampleDims()
	if imgs.H != want[0] || imgs.W != want[1] || imgs.C != want[2] {
		return nil, fmt.Errorf("experiment: %s images are %d×%d×%d but the U-Net is configured for %d×%d×%d", c.Data, imgs.H, imgs.W, imgs.C, want[0], want[1], want[2])
	}
	return &imageSource{imgs: imgs, labels: labels, batch: c.Batch, seed: uint64(c.Seed), epoch: -1}, nil
}

// LoadImages reads split ("train" or "test") of an image dataset.
func LoadImages(c Config, split string) (*data.Images, error) {
	imgs, _, err := loadImages(c, split)
	return imgs, err
}

// loadImages is LoadImages with the images' labels: the loader the data
// set declares in package data's registry (data.Dataset.Load), from
// c.DataDir, which may be empty only for a set that ships a copy.
func loadImages(c Config, split string) (*data.Images, []uint8, error) {
	d, err := data.Lookup(c.Data)
	if err != nil || !d.IsImage() {
		return nil, nil, fmt.Errorf("experiment: %s is not an image dataset", c.Data)
	}
	if c.DataDir == "" && d.DefaultDir == "" {
		return nil, nil, field.New("experiment", "Config", "DataDir", `""`, "must name a folder with %s for %s", d.Files, c.Data)
	}
	imgs, labels, err := d.Load(c.DataDir, split) // "": the copy that ships (DefaultDir)
	if err == nil && len(labels) != imgs.N {
		return nil, nil, fmt.Errorf("experiment: %s %s: %d images but %d labels", c.Data, split, imgs.N, len(labels))
	}
	return imgs, labels, err
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
	batch  int
	seed   uint64
	epoch  int64
	perm   []int
}

func (s *imageSource) Batch(step int64) []float32 {
	return s.imgs.Batch(s.indices(step), data.ScaleSymmetric)
}

// indices are the examples of step: a slice of its epoch's permutation.
func (s *imageSource) indices(step int64) []int {
	per := int64(s.imgs.N / s.batch)
	epoch, k := step/per, int(step%per)
	if epoch != s.epoch {
		s.perm = rand.New(rand.NewPCG(s.seed, uint64(epoch)+1<<32)).Perm(s.imgs.N)
		s.epoch = epoch
	}
	return s.perm[k*s.batch : (k+1)*s.batch]
}

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
