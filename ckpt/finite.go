package ckpt

import (
	"encoding/binary"
	"errors"

	"github.com/gomlx/compute/dtypes"
)

// ErrNonFinite is wrapped by the errors of [Save] and [Load] for a
// floating-point variable holding a NaN or an infinity: such a file is
// never written, and one read (a disk error whose checksum was fixed up, a
// tool's output) is refused, naming the file and the variable, instead of
// sampling an all-black grid or scoring a table of NaN.
var ErrNonFinite = errors.New("non-finite value")

// nonFinite returns the index of the first NaN or ±Inf element of raw, the
// little-endian data of a dtype tensor, or −1; non-float dtypes have none.
// An IEEE value is not finite exactly when its exponent bits are all ones.
func nonFinite(dt dtypes.DType, raw []byte) int {
	var size int
	var exp uint64
	switch dt {
	case dtypes.Float32, dtypes.Complex64:
		size, exp = 4, 0x7f800000
	case dtypes.Float64, dtypes.Complex128:
		size, exp = 8, 0x7ff0000000000000
	case dtypes.Float16:
		size, exp = 2, 0x7c00
	case dtypes.BFloat16:
		size, exp = 2, 0x7f80
	default:
		return -1
	}
	per := dt.Size() / size // 2 for the complex types (real, imaginary)
	for i := 0; i+size <= len(raw); i += size {
		var bits uint64
		switch size {
		case 2:
			bits = uint64(binary.LittleEndian.Uint16(raw[i:]))
		case 4:
			bits = uint64(binary.LittleEndian.Uint32(raw[i:]))
		case 8:
			bits = binary.LittleEndian.Uint64(raw[i:])
		}
		if bits&exp == exp {
			return i / size / per
		}
	}
	return -1
}
