package ddpm

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" // the dot import: graph-building code reads like the maths
)

// coef gathers table[t] — a float64 host table cast to x's dtype when the
// graph is built — and shapes it to broadcast against x.
//
//   - t scalar (one step for the whole batch): returns a scalar.
//   - t [B] (one step per example, x is [B, …]): returns [B, 1, …, 1] of x's rank.
//
// t holds array indices i = (paper step t) − 1, in any integer dtype.
func coef(table []float64, t, x *Node) *Node {
	g := x.Graph()
	tab := Const(g, castTable(table, x.DType()))
	idx := ConvertDType(t, dtypes.Int32)
	if idx.IsScalar() {
		return Gather(tab, InsertAxes(idx, 0)) // [] scalar
	}
	v := Gather(tab, InsertAxes(idx, -1)) // [B]
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = v.Shape().Dimensions[0]
	return Reshape(v, dims...)
}

// castTable converts a float64 host table to the Go slice type of dtype
// (float32 or float64; anything else is a programming error).
func castTable(table []float64, dtype dtypes.DType) any {
	switch dtype {
	case dtypes.Float64:
		return append([]float64(nil), table...)
	case dtypes.Float32:
		out := make([]float32, len(table))
		for i, v := range table {
			out[i] = float32(v)
		}
		return out
	default:
		panicf("ddpm: tables can be cast to Float32 or Float64, not %s", dtype)
		return nil
	}
}

// panicf reports a graph-building error: GoMLX's convention is that graph
// construction panics (Exec turns the panic into an error).
func panicf(format string, args ...any) {
	panic(fmt.Errorf(format, args...))
}
