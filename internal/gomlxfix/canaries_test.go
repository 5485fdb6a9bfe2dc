package gomlxfix

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// panicText runs f and returns what it panicked with ("" for none).
func panicText(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// Canary of dotgeneral.go: on every backend the gradient of graph.DotGeneral
// with contracting axes paired out of order fails to build, and
// DotGeneral's gives the gradient of the product ∂/∂x Σ x·y = Σ y.
func TestDotGeneralOutOfOrderGradient(t *testing.T) {
	y := make([]float32, 4*3*5)
	for i := range y {
		y[i] = float32(i%7) - 3
	}
	for name, b := range backends(t) {
		x := tensors.FromShape(shapes.Make(dtypes.Float32, 2, 3, 4))
		yt := tensors.FromFlatDataAndDimensions(y, 4, 3, 5)
		msg := panicText(func() {
			graph.MustExecOnce(b, func(x, y *graph.Node) *graph.Node {
				return graph.Gradient(graph.ReduceAllSum(graph.DotGeneral(x, []int{1, 2}, nil, y, []int{1, 0}, nil)), x)[0]
			}, x, yt)
		})
		x, yt = tensors.FromShape(shapes.Make(dtypes.Float32, 2, 3, 4)), tensors.FromFlatDataAndDimensions(y, 4, 3, 5)
		if !strings.Contains(msg, "invalid shape (or DType) for calculated AccumulatedVJP") {
			t.Errorf("%s: graph.DotGeneral's out-of-order gradient now builds (%q): gomlxfix.DotGeneral may go", name, msg)
		}
		out := graph.MustExecOnceN(b, func(x, y *graph.Node) []*graph.Node {
			d := DotGeneral(x, []int{1, 2}, nil, y, []int{1, 0}, nil) // [2, 5]
			return []*graph.Node{d, graph.Gradient(graph.ReduceAllSum(d), x)[0]}
		}, x, yt)
		// ∂/∂x[b,i,j] Σ_{b,k} Σ_{i,j} x[b,i,j] y[j,i,k] = Σ_k y[j,i,k].
		g := out[1].Value().([][][]float32)
		for i := range 3 {
			for j := range 4 {
				var want float32
				for k := range 5 {
					want += y[(j*3+i)*5+k]
				}
				if g[1][i][j] != want {
					t.Fatalf("%s: gradient at [1,%d,%d] = %g, want %g", name, i, j, g[1][i][j], want)
				}
			}
		}
	}
}

// Canary of setrow.go: the pure-Go backend still lacks DynamicUpdateSlice;
// SetRow writes the row on every backend.
func TestGoBackendLacksDynamicUpdateSlice(t *testing.T) {
	for name, b := range backends(t) {
		rows := tensors.FromShape(shapes.Make(dtypes.Float32, 3, 2))
		x := tensors.FromValue([]float32{5, 6})
		msg := panicText(func() {
			graph.MustExecOnce(b, func(r, x *graph.Node) *graph.Node {
				return graph.DynamicUpdateSlice(r, graph.InsertAxes(x, 0), []*graph.Node{graph.Const(r.Graph(), int32(1)), graph.Const(r.Graph(), int32(0))})
			}, rows, x)
		})
		if name == GoSequential && !strings.Contains(msg, "not implemented") {
			t.Errorf("the Go backend now has DynamicUpdateSlice (%q): SetRow may become graph.DynamicUpdateSlice", msg)
		}
		rows, x = tensors.FromShape(shapes.Make(dtypes.Float32, 3, 2)), tensors.FromValue([]float32{5, 6})
		got := graph.MustExecOnce(b, func(r, x *graph.Node) *graph.Node { return SetRow(r, x, graph.Const(r.Graph(), int32(1))) }, rows, x)
		if v := got.Value().([][]float32); v[1][0] != 5 || v[1][1] != 6 || v[0][0] != 0 || v[2][1] != 0 {
			t.Errorf("%s: SetRow gave %v", name, v)
		}
	}
}

// Canary of scatter.go: graph.ScatterUpdate still refuses non-unique
// indices; ScatterAssign writes the kept entries and drops the others.
func TestScatterUpdateNeedsUnique(t *testing.T) {
	for name, b := range backends(t) {
		op := tensors.FromValue([]float32{1, 1, 1, 1})
		msg := panicText(func() {
			graph.MustExecOnce(b, func(x *graph.Node) *graph.Node {
				return graph.ScatterUpdate(x, graph.Const(x.Graph(), [][]int32{{1}, {1}}), graph.Const(x.Graph(), []float32{2, 3}), false, false)
			}, op)
		})
		if !strings.Contains(msg, "only implemented for unique indices") {
			t.Errorf("%s: ScatterUpdate accepts non-unique indices now (%q): ScatterAssign may become a ScatterUpdate", name, msg)
		}
		op = tensors.FromValue([]float32{1, 1, 1, 1})
		got := graph.MustExecOnce(b, func(x *graph.Node) *graph.Node {
			g := x.Graph()
			return ScatterAssign(x, graph.Const(g, []int32{3, 0, 0, 0}), graph.Const(g, []float32{7, 8, 9, 10}), graph.Const(g, []bool{true, true, false, false}))
		}, op)
		if v := got.Value().([]float32); v[0] != 8 || v[1] != 1 || v[2] != 1 || v[3] != 7 {
			t.Errorf("%s: ScatterAssign gave %v, want [8 1 1 7]", name, v)
		}
	}
}

// Canary of ScopeRandomIntN: on the pure-Go backend, the gradient of a
// layers.Dense fed by a RandomIntN draw still panics ("Neg … Uint64");
// through ScopeRandomIntN it builds on every backend.
func TestRandomIntNGradientPanics(t *testing.T) {
	for name, b := range backends(t) {
		step := func(draw func(scope *model.Scope, g *graph.Graph) *graph.Node) string {
			store := model.NewStore()
			if err := store.SetRNGStateFromSeed(1); err != nil {
				t.Fatal(err)
			}
			return panicText(func() {
				e := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
					r := graph.ConvertDType(draw(scope, x.Graph()), dtypes.Float32)
					loss := graph.ReduceAllSum(layers.Dense(scope.In("d"), graph.InsertAxes(graph.Add(r, x), -1), true, 3))
					_ = scope.BuildTrainableVariablesGradientsGraph(loss)
					return loss
				})
				e.MustCall(tensors.FromShape(shapes.Make(dtypes.Float32, 4)))
			})
		}
		raw := step(func(scope *model.Scope, g *graph.Graph) *graph.Node {
			return scope.RandomIntN(g, int32(10), shapes.Make(dtypes.Int32, 4))
		})
		if name == GoSequential && !strings.Contains(raw, "signed UnaryOp Neg") {
			t.Errorf("the Go backend builds the gradient past a RandomIntN draw now (%q): ScopeRandomIntN's StopGradient may go", raw)
		}
		if msg := step(func(scope *model.Scope, g *graph.Graph) *graph.Node {
			return ScopeRandomIntN(scope, g, 10, shapes.Make(dtypes.Int32, 4))
		}); msg != "" {
			t.Errorf("%s: through ScopeRandomIntN: %s", name, msg)
		}
	}
}

// Canary of loopvars.go: on XLA CPU, a While body that reads a variable
// captured from the main function is refused; WhileVariables carries it.
func TestWhileCapturedVariableRefused(t *testing.T) {
	for name, b := range backends(t) {
		store := model.NewStore()
		v := store.VariableWithValue("/w", float32(2))
		loop := func(carry bool) (float32, string) {
			var out float32
			msg := panicText(func() {
				e := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
					cond := func(g *graph.Graph, s []*graph.Node) *graph.Node {
						return graph.LessThan(s[0], graph.Const(g, int32(3)))
					}
					body := func(g *graph.Graph, s []*graph.Node) []*graph.Node {
						return []*graph.Node{graph.AddScalar(s[0], 1), graph.Add(s[1], v.NodeValue(g))}
					}
					init := []*graph.Node{graph.Const(x.Graph(), int32(0)), x}
					if carry {
						return WhileVariables(store, init, cond, body)[1]
					}
					return While(init, cond, body)[1]
				})
				out = e.MustCall(tensors.FromValue(float32(1)))[0].Value().(float32)
			})
			return out, msg
		}
		if _, msg := loop(false); name == "xla:cpu" && msg == "" {
			t.Errorf("xla:cpu accepts a While body that reads a captured variable now: WhileVariables may go")
		}
		if got, msg := loop(true); msg != "" || got != 7 {
			t.Errorf("%s: WhileVariables: 1 + 3·2 = %g (%s)", name, got, msg)
		}
	}
}
