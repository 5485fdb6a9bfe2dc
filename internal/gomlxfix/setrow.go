package gomlxfix

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// SetRow returns rows [K, …] with row slot (a scalar int32) replaced by x
// [...], selecting it with a one-hot mask: K·|x| work, meant for small K
// (the snapshots of a sampling chain).
//
// Why (compute v0.1.2, GoMLX v0.28.2): the pure-Go backend has no
// DynamicUpdateSlice ("op not implemented"), which would write the row in
// place. Canary: TestGoBackendLacksDynamicUpdateSlice fails when the Go
// backend gains it, and graph.DynamicUpdateSlice may replace this.
func SetRow(rows, x, slot *graph.Node) *graph.Node {
	g := rows.Graph()
	K := rows.Shape().Dimensions[0]
	maskDims := make([]int, rows.Rank())
	for i := range maskDims {
		maskDims[i] = 1
	}
	maskDims[0] = K
	idx := graph.Iota(g, shapes.Make(dtypes.Int32, K), 0)
	mask := graph.Reshape(graph.Equal(idx, slot), maskDims...)
	return graph.Where(graph.BroadcastToShape(mask, rows.Shape()), graph.BroadcastToShape(graph.InsertAxes(x, 0), rows.Shape()), rows)
}
