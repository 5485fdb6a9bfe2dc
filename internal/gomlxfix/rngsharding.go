package gomlxfix

import (
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/gomlx/ml/model"
)

// In GoMLX v0.28.0 a variable created before an exec was distributed keeps
// a nil sharding spec, and the RNG state variable (Store.getRNGStateVar,
// created by Store.SetRNGStateFromSeed) has no back-pointer to its store,
// so building the distributed graph dereferences a nil *Store ("invalid
// memory address" in Variable.paramNode). Giving every such variable the
// exec's default spec explicitly avoids the lookup.
//
// It touches only public API (Variable.ShardingSpec, SetShardingSpec);
// TestShardUnshardedVariables checks that the RNG state variable is among
// those it fixes.

// ShardUnshardedVariables gives spec to every variable of store that has no
// sharding spec yet, and returns how many it changed.
func ShardUnshardedVariables(store *model.Store, spec *distributed.ShardingSpec) (int, error) {
	n := 0
	for v := range store.IterVariables() {
		if v.ShardingSpec() == nil {
			if err := v.SetShardingSpec(spec); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
