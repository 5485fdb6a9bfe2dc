package ckpt

import (
	"fmt"
	"math/bits"

	"github.com/gomlx/compute/dtypes"
)

// maxRank bounds a variable's rank in a header (GoMLX's own limit is far
// lower in practice; the bound keeps a corrupt header from costing time).
const maxRank = 16

// check validates a variable's header against a data section of n bytes
// before anything is allocated: a known dtype, at most maxRank non-negative
// dimensions whose product times the element size equals the byte count
// without overflowing, and a byte range inside the data. shapes.Make panics
// on negative dimensions, and an overflowing product could pass a plain
// size comparison ([2^62, 4] float32 is 0 bytes modulo 2^64).
func (vh varHeader) check(n int64) error {
	dt, err := dtypes.DTypeString(vh.DType)
	if err != nil {
		return fmt.Errorf("variable %s: unknown dtype %q", vh.Path, vh.DType)
	}
	if len(vh.Dims) > maxRank {
		return fmt.Errorf("variable %s: rank %d above %d: corrupt header", vh.Path, len(vh.Dims), maxRank)
	}
	size := uint64(dt.Size())
	if size == 0 || dt.Bits() < 8 {
		return fmt.Errorf("variable %s: dtype %s is not stored by ckpt", vh.Path, dt)
	}
	for _, d := range vh.Dims {
		if d < 0 {
			return fmt.Errorf("variable %s: negative dimension in %v: corrupt header", vh.Path, vh.Dims)
		}
		hi, lo := bits.Mul64(size, uint64(d))
		if hi != 0 || lo > uint64(n) {
			return fmt.Errorf("variable %s: dimensions %v need more bytes than the file's %d: corrupt header", vh.Path, vh.Dims, n)
		}
		size = lo
	}
	if vh.Offset < 0 || vh.Bytes < 0 || vh.Offset > n || vh.Bytes > n-vh.Offset {
		return fmt.Errorf("variable %s: byte range [%d, %d) outside the %d data bytes", vh.Path, vh.Offset, vh.Offset+vh.Bytes, n)
	}
	if uint64(vh.Bytes) != size {
		return fmt.Errorf("variable %s: %d bytes do not fit %s%v (%d bytes)", vh.Path, vh.Bytes, dt, vh.Dims, size)
	}
	return nil
}
