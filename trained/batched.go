package trained

import (
	"fmt"
	"io"
	"slices"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/progress"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// SampleOptions say how [Model.SampleMany] and [Model.SampleEach] split
// their work.
type SampleOptions struct {
	// Batch is the number of examples drawn per compiled call (it bounds
	// memory); default [DefaultSampleBatch].
	Batch int
	// FirstBatch, when smaller than Batch, is the size of the first batch
	// alone, so that a long job shows its rate and the time left within
	// seconds instead of after one whole batch; 0: Batch. The batches
	// still use seeds seed, seed + 2, …, so n ≤ FirstBatch draws what one
	// batch of n draws.
	FirstBatch int
	// Progress, when not nil, gets a progress line after the first batch,
	// updated as batches end, with the rate and the estimated time left
	// (only when there is more than one batch).
	Progress io.Writer
	// Labels, when not nil, gives the labels of the batch of b examples
	// starting at example from, in place of the guidance's Labels (which
	// then hold none or one): labels made batch by batch, so that they do
	// not grow with n either.
	Labels func(from, b int) []int32
}

// DefaultSampleBatch is the default batch of sampling for models of c:
// 1,000 images (the evaluation's -sample-batch), 100,000 2-D points.
func DefaultSampleBatch(c recipe.Config) int {
	if c.IsImage() {
		return 1000
	}
	return 100_000
}

// QuickBatch is the first batch that `ddpm sample` draws for models of c
// (SampleOptions.FirstBatch), the command's default number of samples, so
// that its default output is one batch as before and a larger job shows its
// rate early: 2,000 2-D points, which take seconds at 1,000 steps (about
// 2.3 s per 1,000 points on a 2-core CPU with XLA, issue 27), or 100 images
// (a 10-class model's grid).
func QuickBatch(c recipe.Config) int {
	if c.IsImage() {
		return 100
	}
	return 2000
}

// SampleMany draws n examples with the sampler cfg and guidance g in
// batches of o.Batch, batch k from seed + 2k (SampleNoise uses its seed for
// x_T and seed+1 for the chain), so that n ≤ o.Batch draws exactly what
// [Model.SampleGuided] draws. g.Labels holds one label for all examples or
// one per example (n). It returns the samples flattened [n, …]; samples
// holding a NaN or an infinity are an error (they are neither written nor
// scored). Snapshots are not taken (use SampleGuided). The samples are
// kept as the batches end, not set aside for n at the start: a caller that
// does not need them all at once uses [Model.SampleEach].
func (m *Model) SampleMany(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance, n int, seed int64, o SampleOptions) (*tensors.Tensor, error) {
	var out []float32
	err := m.SampleEach(backend, cfg, g, n, seed, o, func(x []float32, _ int) error {
		out = append(out, x...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tensors.FromFlatDataAndDimensions(out, append([]int{n}, m.Config.ExampleDims()...)...), nil
}

// SampleEach draws the examples of [Model.SampleMany] and hands each batch
// to yield as it ends — x flattened [b, …], from the index of its first
// example — so that memory does not grow with n. A batch holding a NaN or
// an infinity is an error, before yield sees it; so is yield's error, which
// stops the sampling.
func (m *Model) SampleEach(backend compute.Backend, cfg ddpm.SampleConfig, g Guidance, n int, seed int64, o SampleOptions, yield func(x []float32, from int) error) error {
	if err := m.Usable(); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("trained: %d samples: at least 1", n)
	}
	if o.Batch == 0 {
		o.Batch = DefaultSampleBatch(m.Config)
	}
	if o.Batch < 1 || o.FirstBatch < 0 {
		return fmt.Errorf("trained: sampling batch %d (first %d): at least 1", o.Batch, o.FirstBatch)
	}
	if o.FirstBatch == 0 || o.FirstBatch > o.Batch {
		o.FirstBatch = o.Batch
	}
	if len(g.Labels) > 1 && len(g.Labels) != n {
		return fmt.Errorf("trained: %d labels for %d samples: give one, or one per sample", len(g.Labels), n)
	}
	cfg.SnapshotEvery = 0
	dims := m.Config.ExampleDims()
	var sm *ddpm.Sampler
	var lastLabels []int32
	bar := progress.NewSampling(o.Progress, n, min(o.FirstBatch, n))
	for k, done := 0, 0; done < n; k++ {
		b := min(o.Batch, n-done)
		if k == 0 {
			b = min(o.FirstBatch, n)
		}
		labels := g.Labels
		switch {
		case o.Labels != nil:
			labels = o.Labels(done, b)
		case len(labels) > 1:
			labels = g.Labels[done : done+b]
		}
		// A guided sampler holds one label per example: a new one when they change.
		if sm == nil || (len(labels) > 1 && !slices.Equal(labels, lastLabels)) {
			var err error
			if sm, err = m.GuidedSampler(backend, cfg, Guidance{Labels: labels, W: g.W, Interval: g.Interval}); err != nil {
				return err
			}
			lastLabels = labels
		}
		x, _, err := sm.SampleNoise(backend, append([]int{b}, dims...), seed+2*int64(k))
		if err != nil {
			return err
		}
		flat := tensors.MustCopyFlatData[float32](x)
		if err := checkFiniteSamples(flat, m.Path); err != nil {
			return err
		}
		if err := yield(flat, done); err != nil {
			return err
		}
		done += b
		bar.Update(done)
	}
	bar.Done()
	return nil
}
