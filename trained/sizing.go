package trained

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/internal/hostmem"
	"github.com/ddpm-go/ddpm-go/recipe"
)

// Work is sized before it starts: a command whose samples or metric cannot
// fit in this host's memory is refused at once, with the estimate, instead
// of dying hours later (or at once, in make) with Go's "out of memory" and a
// page of runtime stack.

// Bytes per example that the consumers of samples hold, for the estimates
// below (float32 = 4 bytes, float64 = 8; measured from the code, not the
// allocator, so they are lower bounds):
//
//   - pngSampleCopies: the samples of [Model.SampleMany], their tensor and
//     the PNG writer's copy (figures.SamplesPNG): 3 float32 copies;
//   - pngGridBytes: the grid image at scale 2 with a 2-pixel border, one
//     byte per grey pixel (RGBA: 4), and its PNG encoding, at most as large;
//   - scatterPointBytes: a 2-D point in the scatter plot: its float32 pair,
//     the data drawn beside it (another pair) and gonum's two XYs (2 × 16).
const (
	pngSampleCopies   = 3
	scatterPointBytes = 2*4 + 2*4 + 2*16
)

// SampleMemory is the estimated memory, in bytes, of `ddpm sample`'s n
// samples of a model of c and of the PNG that shows them (a grid of
// images, or a scatter of 2-D points). It is a float64: n may be any int.
func SampleMemory(c recipe.Config, n int) float64 {
	per := float64(exampleValues(c))
	if !c.IsImage() {
		return float64(n) * (pngSampleCopies*4*per + scatterPointBytes)
	}
	dims := c.ExampleDims()
	h, w, ch := float64(dims[0]), float64(dims[1]), float64(dims[2])
	pixel := 1.0
	if ch != 1 {
		pixel = 4
	}
	grid := (2*h + 2) * (2*w + 2) * pixel
	return float64(n) * (pngSampleCopies*4*per + 2*grid)
}

// MemoryShort says, when this host has less memory available
// (MemAvailable, or the cgroup's limit) than an estimated need bytes, how
// much is needed and how much there is ("about 8.2 TiB of memory, more than
// the 20.1 GiB available (MemAvailable in /proc/meminfo)"); else, or when
// the available memory is unknown, "".
func MemoryShort(need float64) string {
	have, from, ok := hostmem.Available()
	if !ok || need <= float64(have) {
		return ""
	}
	return fmt.Sprintf("about %s of memory, more than the %s available (%s)", bytesFloat(need), hostmem.Bytes(have), from)
}

// bytesFloat is hostmem.Bytes of an estimate that may exceed int64.
func bytesFloat(b float64) string {
	switch {
	case b >= 1<<50:
		return fmt.Sprintf("%.3g PiB", b/(1<<50))
	case b >= 1<<40:
		return fmt.Sprintf("%.1f TiB", b/(1<<40))
	}
	return hostmem.Bytes(int64(b))
}

// exampleValues is the number of values of one example of c.
func exampleValues(c recipe.Config) int {
	per := 1
	for _, d := range c.ExampleDims() {
		per *= d
	}
	return per
}
