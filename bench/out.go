package bench

import "github.com/ddpm-go/ddpm-go/internal/atomicfile"

// CheckOut fails before the run, not after it, when the results could not
// be written to path ("" writes none): atomicfile's writing rule for a JSON
// file (a name ending in .json, new or a JSON file, not a device, FIFO,
// folder or a run's own file).
func CheckOut(path string) error {
	if path == "" {
		return nil
	}
	return atomicfile.CheckDest(path, atomicfile.JSON)
}
