package gomlxfix

import (
	"reflect"
	"unsafe"

	"github.com/gomlx/gomlx/core/graph"
)

// go-xla v0.3.0's builder caches the small closure a Reduce, ArgMin/ArgMax
// or Select-and-scatter op needs (cacheReductions, cacheArgMinMax,
// cacheSelections) as a child of the function that first asked for it, and
// hands it to the same ops in other functions, which fail with "cannot add
// operation Reduce because reductionFn is not a StableHLO closure of main"
// (a GroupNorm or Softmax in a While body and again in the main function).
// Emptying the caches before and after each closure is built makes each
// function build its own.
//
// It touches the private fields of the builder behind graph.Graph.builder
// (an interface holding *xla.Builder), by reflect and unsafe;
// TestXLAReductionCachesCanary fails if any of them is gone or is no longer
// a map.

// xlaReductionCaches are the private map fields of go-xla's *xla.Builder
// emptied by ResetXLAReductionCaches.
var xlaReductionCaches = []string{"cacheReductions", "cacheArgMinMax", "cacheSelections"}

// ResetXLAReductionCaches empties the reduction caches of g's builder when
// it is go-xla's, and returns how many of them it found (0 on other
// backends).
func ResetXLAReductionCaches(g *graph.Graph) int {
	b := reflect.ValueOf(g).Elem().FieldByName("builder")
	if !b.IsValid() || b.Kind() != reflect.Interface || b.IsNil() {
		return 0
	}
	b = b.Elem() // the backend's Builder, a pointer
	if b.Kind() != reflect.Pointer || b.Elem().Kind() != reflect.Struct {
		return 0
	}
	n := 0
	for _, name := range xlaReductionCaches {
		field := b.Elem().FieldByName(name)
		if !field.IsValid() || field.Kind() != reflect.Map || !field.CanAddr() {
			continue
		}
		m := reflect.NewAt(field.Type(), unsafe.Pointer(field.UnsafeAddr())).Elem()
		m.Set(reflect.MakeMap(field.Type()))
		n++
	}
	return n
}
