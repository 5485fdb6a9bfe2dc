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
func newClosure(g *Graph, fn func(g *Graph) []*Node) *Function {
	clearScalarCache(g)
	f := NewClosure(g, fn)
	clearScalarCache(g)
	return f
}

func clearScalarCache(g *Graph) {
	field := reflect.ValueOf(g).Elem().FieldByName("scalars")
	if !field.IsValid() || field.Kind() != reflect.Map {
		return
	}
	m := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
	m.Set(reflect.MakeMap(field.Type()))
}
