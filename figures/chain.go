package figures

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/core/tensors"
)

// Chain holds the snapshots of one sampling chain, x_T first and x_0 last
// (trained.Model.Sample with SampleConfig.SnapshotEvery > 0), and draws
// any of them: the chain slider of 04_reverse_2d.ipynb (05's can use it too).
type Chain struct {
	Model  recipe.Config
	Sample ddpm.SampleConfig // the sampler the chain ran (its SnapshotEvery > 0)
	T      int               // the schedule's number of steps
	Snaps  *tensors.Tensor   // [snapshots, n, …]
	flat   []float32         // Snaps' values
	truth  figs.Series       // for 2-D data: as many data points, drawn grey
}

// NewChain wraps the snapshots snaps of a chain run with the sampler cfg on a
// model of configuration m whose schedule has T steps. A sampler that is
// not registered, or a configuration ddpm refuses, is an error.
func NewChain(m recipe.Config, cfg ddpm.SampleConfig, T int, snaps *tensors.Tensor, seed int64) (*Chain, error) {
	if cfg.SnapshotEvery <= 0 || snaps == nil || snaps.Shape().Rank() < 3 {
		return nil, fmt.Errorf("figures: a chain needs its snapshots (SnapshotEvery > 0): got every=%d", cfg.SnapshotEvery)
	}
	if err := cfg.Validate(T); err != nil {
		return nil, err
	}
	c := &Chain{Model: m, Sample: cfg, T: T, Snaps: snaps, flat: tensors.MustCopyFlatData[float32](snaps)}
	if !m.IsImage() {
		sampler, err := data.Toy2D(m.Data)
		if err != nil {
			return nil, err
		}
		c.truth = figs.XY("data", sampler(rand.New(rand.NewPCG(uint64(seed), 99)), snaps.Shape().Dimensions[1]))
	}
	return c, nil
}

// Len is the number of snapshots.
func (c *Chain) Len() int { return c.Snaps.Shape().Dimensions[0] }

// Label says where snapshot j is: "x_500 (after 500 of 1000 steps)", the
// subscript being the paper step the chain has reached (0 at the end) and
// the count the sampler's own (ddpm.SampleConfig.Iterations: a respaced
// ancestral chain of 50 steps has 50, not T). A sampler that takes several
// iterations per step (Langevin's K per level) is labelled by its
// iterations alone: "after 500 of 1000 langevin steps".
func (c *Chain) Label(j int) string {
	n := c.Sample.Iterations(c.T)
	i := min(j*c.Sample.SnapshotEvery, n)
	ts := c.Sample.Timesteps(c.T)
	if len(ts) != n {
		return fmt.Sprintf("after %d of %d %s steps", i, n, c.Sample.Kind)
	}
	t := 0
	if i < len(ts) {
		t = ts[i] + 1
	}
	return fmt.Sprintf("x_%d (after %d of %d steps)", t, i, n)
}

// Frame draws snapshot j: a scatter over as many data points for 2-D data,
// a grid of the images otherwise.
func (c *Chain) Frame(j int) ([]byte, error) {
	if j < 0 || j >= c.Len() {
		return nil, fmt.Errorf("figures: snapshot %d of a chain of %d", j, c.Len())
	}
	dims := c.Snaps.Shape().Dimensions
	size := 1
	for _, d := range dims[1:] {
		size *= d
	}
	flat := c.flat[j*size : (j+1)*size]
	if c.Model.IsImage() {
		return figs.Grid(flat, dims[1], dims[2], dims[3], dims[4], 0, 2)
	}
	return figs.Scatter(figs.Options{Title: c.Label(j), Width: 300, Height: 300, XMin: -3, XMax: 3, YMin: -3, YMax: 3},
		c.truth, figs.XY(string(c.Sample.Kind), flat))
}

// Strip draws the snapshots js side by side.
func (c *Chain) Strip(js ...int) ([]byte, error) {
	var pngs [][]byte
	for _, j := range js {
		p, err := c.Frame(j)
		if err != nil {
			return nil, err
		}
		pngs = append(pngs, p)
	}
	return sideBySide(pngs...)
}
