package gomlxfix

import (
	"reflect"
	"unsafe"

	"github.com/gomlx/gomlx/core/graph"
)

// GoMLX v0.28.0 keeps one cache of scalar constants (graph.Scalar,
// AddScalar, MulScalar, and the internals of RandomNormal use it) for the
// whole graph, not per function. A scalar first created inside a While body
// is then handed out again to the main function or to a sibling closure,
// and the backend rejects it: "input #1 uses a node from a different
// function scope". Emptying the cache before and after each closure is
// built keeps every cached scalar inside the function that created it
// (closures may still capture scalars cached by the main function, which
// the backends allow).
//
// It touches the private field graph.Graph.scalars (a map), by reflect and
// unsafe; TestScalarCacheFieldCanary fails if that field is gone or is no
// longer a map.

// scalarCacheField is the private field of graph.Graph emptied by ResetScalarCache.
const scalarCacheField = "scalars"

// ResetScalarCache empties g's cache of scalar constants. It reports whether
// it found the cache (false: GoMLX changed, see the canary test).
func ResetScalarCache(g *graph.Graph) bool {
	field := reflect.ValueOf(g).Elem().FieldByName(scalarCacheField)
	if !field.IsValid() || field.Kind() != reflect.Map {
		return false
	}
	m := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
	m.Set(reflect.MakeMap(field.Type()))
	return true
}
