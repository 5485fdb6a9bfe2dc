package figures

import (
	"fmt"
	"math/rand/v2"

	"github.com/ddpm-go/ddpm-go/data"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/figs"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ForwardView noises one MNIST test digit with Eq. 4,
// x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, at any step t under each schedule of
// ddpm.ScheduleKinds, with the same x_0 and ε throughout: the slider of
// 01_forward_process.ipynb. The graph is compiled once; t is its input.
type ForwardView struct {
	Schedules []*ddpm.Schedule // one per ddpm.ScheduleKinds, T = 1000
	x0, eps   *tensors.Tensor  // [1, 784]
	exec      *graph.Exec
}

// ForwardRow is one schedule at one step.
type ForwardRow struct {
	Kind                             ddpm.ScheduleKind
	AlphaBar, SqrtAB, SqrtOneMinusAB float64 // ᾱ_t, √ᾱ_t, √(1−ᾱ_t)
	SNR                              float64 // ᾱ_t/(1−ᾱ_t)
}

// NewForwardView reads test digit number digit and draws ε from the seed.
func (fc Config) NewForwardView(digit int) (*ForwardView, error) {
	test, err := mnistTest()
	if err != nil {
		return nil, err
	}
	const d = 28 * 28
	v := &ForwardView{x0: tensors.FromFlatDataAndDimensions(test.Batch([]int{digit}, data.ScaleSymmetric), 1, d)}
	rng, eps := rand.New(rand.NewPCG(uint64(fc.Seed), 3)), make([]float32, d)
	for i := range eps {
		eps[i] = float32(rng.NormFloat64())
	}
	v.eps = tensors.FromFlatDataAndDimensions(eps, 1, d)
	for _, kind := range ddpm.ScheduleKinds {
		s, err := ddpm.NewSchedule(ddpm.ScheduleConfig{Kind: kind})
		if err != nil {
			return nil, err
		}
		v.Schedules = append(v.Schedules, s)
	}
	v.exec, err = graph.NewExec(fc.Backend, func(x0, eps, t *graph.Node) *graph.Node {
		xs := []*graph.Node{x0}
		for _, s := range v.Schedules {
			xs = append(xs, ddpm.QSample(s, x0, t, eps)) // Eq. 4
		}
		return graph.Concatenate(xs, 0) // [1 + schedules, 784]: x_0, then x_t of each
	})
	return v, err
}

// At returns the digit x_0 and its x_t under each schedule at array index t
// (paper step t+1, 0 ≤ t ≤ 999) as one row of images, and each schedule's
// numbers at t.
func (v *ForwardView) At(t int) ([]byte, []ForwardRow, error) {
	if t < 0 || t >= v.Schedules[0].T {
		return nil, nil, fmt.Errorf("figures: forward view at index t=%d: it must lie in [0, %d]", t, v.Schedules[0].T-1)
	}
	out, err := v.exec.Call(v.x0, v.eps, []int32{int32(t)})
	if err != nil {
		return nil, nil, err
	}
	xt := out[0]
	rows := make([]ForwardRow, len(v.Schedules))
	for i, s := range v.Schedules {
		rows[i] = ForwardRow{Kind: s.Kind, AlphaBar: s.AlphasBar[t], SqrtAB: s.SqrtAlphasBar[t], SqrtOneMinusAB: s.SqrtOneMinusAlphasBar[t], SNR: s.SNR[t]}
	}
	n := len(v.Schedules) + 1
	png, err := figs.Grid(tensors.MustCopyFlatData[float32](xt), n, 28, 28, 1, n, 4)
	return png, rows, err
}
