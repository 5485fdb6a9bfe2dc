package ddpm

import (
	"reflect"
	"unsafe"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// newClosure is graph.NewClosure with a workaround for a GoMLX v0.28.0 bug:
// Graph keeps one cache of scalar constants (Scalar, AddScalar, MulScalar,
// and the internals of RandomNormal use it) for the whole graph, not per
// function. A scalar first created inside a While body is then handed out
// again to the main function or to a sibling closure, and the backend
// rejects it: "input #1 uses a node from a different function scope".
// Clearing the cache after each closure is built keeps every cached scalar
// inside the function that created it (closures may still capture scalars
// cached by the main function, which the backends allow). If a later GoMLX
// renames the private field, the reset is skipped and the bug (if still
// there) shows up as that error again.
//
// It also empties go-xla v0.3.0's builder caches of reduction closures
// (cacheReductions, cacheArgMinMax, cacheSelections): the builder keeps the
// small closure a Reduce op needs as a child of the function that first
// asked for it and hands it to reductions in other functions, which fail
// with "cannot add operation Reduce because reductionFn is not a StableHLO
// closure of main" (a GroupNorm or Softmax in the While body and again in
// the main function). Cleared before and after, each function builds its own.
func newClosure(g *Graph, fn func(g *Graph) []*Node) *Function {
	clearScalarCache(g)
	clearXLAReductionCaches(g)
	f := NewClosure(g, fn)
	clearScalarCache(g)
	clearXLAReductionCaches(g)
	return f
}

func clearXLAReductionCaches(g *Graph) {
	b := reflect.ValueOf(g).Elem().FieldByName("builder")
	if !b.IsValid() || b.Kind() != reflect.Interface || b.IsNil() {
		return
	}
	b = b.Elem() // the backend's Builder, a pointer
	if b.Kind() != reflect.Pointer || b.Elem().Kind() != reflect.Struct {
		return
	}
	for _, name := range []string{"cacheReductions", "cacheArgMinMax", "cacheSelections"} {
		field := b.Elem().FieldByName(name)
		if !field.IsValid() || field.Kind() != reflect.Map || !field.CanAddr() {
			continue
		}
		m := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
		m.Set(reflect.MakeMap(field.Type()))
	}
}

func clearScalarCache(g *Graph) {
	field := reflect.ValueOf(g).Elem().FieldByName("scalars")
	if !field.IsValid() || field.Kind() != reflect.Map {
		return
	}
	m := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
	m.Set(reflect.MakeMap(field.Type()))
}
