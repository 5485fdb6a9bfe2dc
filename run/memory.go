package run

import (
	"fmt"
	"strconv"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/internal/hostmem"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/compute"
)

// TrainingCopies is how many float32 values per parameter training holds at
// least: the weights, Adam's two moments, the EMA and the gradients.
const TrainingCopies = 5

// MemoryEstimate is a lower bound of the bytes training cfg needs: its
// parameters × TrainingCopies × 4 bytes (float32). Activations, which grow
// with the batch, come on top. cfg must be complete
// (recipe.Config.WithDefaults).
func MemoryEstimate(cfg recipe.Config) int64 {
	return int64(cfg.NumParameters()) * TrainingCopies * 4
}

// checkMemory refuses, on CPU backends, a configuration whose parameters and
// optimiser state alone do not fit in the available memory (GoMLX would die
// later with an allocator error naming its internals). Accelerators'
// memory is not checked.
func checkMemory(backend compute.Backend, cfg recipe.Config) error {
	if backendpkg.PlatformOf(backend) == backendpkg.PlatformXLAAccelerator {
		return nil
	}
	need := MemoryEstimate(cfg)
	have, from, ok := hostmem.Available()
	if !ok || need <= have {
		return nil
	}
	return fmt.Errorf("run: this network cannot be trained here: its %s parameters need at least %s (× %d float32 copies: weights, Adam's two moments, EMA, gradients; activations come on top), but %s are available (%s): use a smaller network (fewer or narrower layers)",
		count(int64(cfg.NumParameters())), hostmem.Bytes(need), TrainingCopies, hostmem.Bytes(have), from)
}

// count prints n in words past a million.
func count(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f billion", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f million", float64(n)/1e6)
	}
	return strconv.FormatInt(n, 10)
}
