package gomlxfix

import (
	"slices"

	"github.com/gomlx/gomlx/core/graph"
)

// DotGeneral is graph.DotGeneral whose contracting axes may be paired in
// any order: when the pairs (lhsContracting[i], rhsContracting[i]), sorted
// by the lhs axis, do not have increasing rhs axes, rhs is transposed so
// that they do, and the product is the same.
//
// Why (GoMLX v0.28.2): the gradient of a DotGeneral whose contracting axes
// are paired out of order has the wrong shape ("invalid shape (or DType)
// for calculated AccumulatedVJP"), on every backend. Canary:
// TestDotGeneralOutOfOrderGradient fails when it builds, and this may go.
func DotGeneral(lhs *graph.Node, lhsContracting, lhsBatch []int, rhs *graph.Node, rhsContracting, rhsBatch []int) *graph.Node {
	order := make([]int, len(lhsContracting))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return lhsContracting[a] - lhsContracting[b] })
	lc, rc := make([]int, len(order)), make([]int, len(order))
	for i, k := range order {
		lc[i], rc[i] = lhsContracting[k], rhsContracting[k]
	}
	if slices.IsSorted(rc) {
		return graph.DotGeneral(lhs, lc, lhsBatch, rhs, rc, rhsBatch)
	}
	// Permute rhs: the contracting axes take, in increasing order, the
	// positions they hold now; every other axis stays where it is.
	slots := slices.Clone(rc)
	slices.Sort(slots)
	perm := make([]int, rhs.Rank())
	for i := range perm {
		perm[i] = i
	}
	for i, axis := range rc {
		perm[slots[i]] = axis
	}
	return graph.DotGeneral(lhs, lc, lhsBatch, graph.TransposeAllAxes(rhs, perm...), slots, rhsBatch)
}
