package bench

import "github.com/ddpm-go/ddpm-go/internal/atomicfile"

// checkOut fails before the run, not after it, when the results could not
// be written to path ("" writes none).
func checkOut(path string) error {
	if path == "" {
		return nil
	}
	return atomicfile.CheckWritable(path)
}
