package bench

import "github.com/ddpm-go/ddpm-go/internal/atomicfile"

// CheckOut fails before the run, not after it, when the results could not
// be written to path ("" writes none).
func CheckOut(path string) error {
	if path == "" {
		return nil
	}
	return atomicfile.CheckWritable(path)
}
