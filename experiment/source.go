package experiment

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/data"
)

// Source yields the training batch of any step as a pure function of the
// run's seed and the step, so that a resumed run sees the same batches.
type Source interface {
	// Batch returns the examples of step, flattened: [B, …] row-major float32
	// (2-D points, or images scaled to [−1, 1] in NHWC).
	Batch(step int64) []float32
	// Len is the number of training examples (0 for an infinite toy).
	Len() int
}

// NewSource opens the training data of c (after WithDefaults).
func NewSource(c Config) (Source, error) {
	if !c.IsImage() {
		sampler, err := data.Toy2D(c.Data)
		if err != nil {
			return nil, err
		}
		return &toySource{sampler: sampler, batch: c.Batch, seed: uint64(c.Seed)}, nil
	}
	imgs, err := LoadImages(c, "train")
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
	return &imageSource{imgs: imgs, batch: c.Batch, seed: uint64(c.Seed), epoch: -1}, nil
}

// LoadImages reads split ("train" or "test") of an image dataset.
func LoadImages(c Config, split string) (*data.Images, error) {
	dir := c.DataDir
	var (
		imgs *data.Images
		err  error
	)
	switch c.Data {
	case MNIST:
		if dir == "" {
			if dir, err = data.GoMNISTDir(); err != nil {
				return nil, err
			}
		}
		imgs, _, err = data.LoadMNIST(dir, split)
	case FashionMNIST:
		if dir == "" {
			return nil, fmt.Errorf("experiment: fashion-mnist needs -data-dir: a folder with the Fashion-MNIST IDX files")
		}
		imgs, _, err = data.LoadFashionMNIST(dir, split)
	case CIFAR10:
		if dir == "" {
			return nil, fmt.Errorf("experiment: cifar10 needs -data-dir: a folder with the CIFAR-10 binary batches")
		}
		imgs, _, err = data.LoadCIFAR10(dir, split)
	default:
		return nil, fmt.Errorf("experiment: %s is not an image dataset", c.Data)
	}
	return imgs, err
}

type toySource struct {
	sampler data.Distribution
	batch   int
	seed    uint64
}

func (s *toySource) Batch(step int64) []float32 {
	return s.sampler(rand.New(rand.NewPCG(s.seed, uint64(step))), s.batch)
}

func (s *toySource) Len() int { return 0 }

// imageSource walks the images in a fresh permutation each epoch (seeded by
// the run's seed and the epoch), dropping the last partial batch.
type imageSource struct {
	imgs  *data.Images
	batch int
	seed  uint64
	epoch int64
	perm  []int
}

func (s *imageSource) Batch(step int64) []float32 {
	per := int64(s.imgs.N / s.batch)
	epoch, k := step/per, int(step%per)
	if epoch != s.epoch {
		s.perm = rand.New(rand.NewPCG(s.seed, uint64(epoch)+1<<32)).Perm(s.imgs.N)
		s.epoch = epoch
	}
	return s.imgs.Batch(s.perm[k*s.batch:(k+1)*s.batch], data.ScaleSymmetric)
}

func (s *imageSource) Len() int { return s.imgs.N }
