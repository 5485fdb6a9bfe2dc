package ddpm

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Respace is the schedule of S = len(ts) of s's steps (Nichol & Dhariwal
// §4): with ts ascending array indices of s, the new schedule keeps
// ᾱ'_i = ᾱ_{ts[i]} and so has
//
//	β'_i = 1 − ᾱ_{ts[i]} / ᾱ_{ts[i−1]}   (ᾱ_{ts[−1]} = 1),
//
// from which β̃' and every other table follow. Sampling it with
// [RespacedNet] is Algorithm 2 in S steps; a learned Σ_θ interpolates
// between the respaced β' and β̃', as in their code.
func Respace(s *Schedule, ts []int) (*Schedule, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("ddpm: Respace needs at least one step")
	}
	betas := make([]float64, len(ts))
	prev, last := 1.0, -1
	for i, t := range ts {
		if t <= last || t >= s.T {
			return nil, fmt.Errorf("ddpm: Respace wants strictly increasing array indices in [0, %d), got %v", s.T, ts)
		}
		betas[i] = 1 - s.AlphasBar[t]/prev
		prev, last = s.AlphasBar[t], t
	}
	r, err := ScheduleFromBetas(betas)
	if err != nil {
		return nil, err
	}
	r.Kind = s.Kind + "-respaced"
	return r, nil
}

// RespacedNet is net called with the original array index ts[t'] for the
// respaced index t' (see [Respace]).
func RespacedNet(net Net, ts []int) Net {
	tab := make([]int32, len(ts))
	for i, t := range ts {
		tab[i] = int32(t)
	}
	return func(scope *model.Scope, xt, t *Node) *Node {
		orig := Gather(Const(xt.Graph(), tab), InsertAxes(ConvertDType(t, dtypes.Int32), -1))
		return net(scope, xt, orig)
	}
}
