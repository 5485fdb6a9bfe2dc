package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ddpm-go/ddpm-go/internal/inputfile"
)

// IDX is the file format of the MNIST distribution (LeCun et al.,
// http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST DATABASE"):
// a big-endian magic number 0x0000TTDD, where TT is the element type (0x08
// for unsigned bytes) and DD the number of dimensions, then DD big-endian
// uint32 sizes, then the elements in row-major order. Fashion-MNIST uses the
// same format.
const (
	// IDXMagicImages is the magic number of a 3-D uint8 IDX file [N, H, W].
	IDXMagicImages = 0x00000803
	// IDXMagicLabels is the magic number of a 1-D uint8 IDX file [N].
	IDXMagicLabels = 0x00000801
)

// maxIDXBytes bounds the payload a header may announce (1 TiB), so that a
// corrupt header is reported instead of overflowing int.
const maxIDXBytes = 1 << 40

// ReadIDXImages reads an IDX file of uint8 images (magic IDXMagicImages,
// dimensions [N, H, W]) into Images with C = 1. The file may be plain or
// gzip-compressed; compression is detected from the gzip magic bytes
// 0x1f 0x8b, not from the file name. The error for a missing, non-IDX,
// truncated or oversized file names the file and the problem.
func ReadIDXImages(path string) (*Images, error) {
	dims, pix, err := readIDX(path, IDXMagicImages)
	if err != nil {
		return nil, err
	}
	if dims[1] == 0 || dims[2] == 0 {
		return nil, fmt.Errorf("data: %s: IDX images have size %d×%d, want both dimensions positive", path, dims[1], dims[2])
	}
	return &Images{N: dims[0], H: dims[1], W: dims[2], C: 1, Pix: pix}, nil
}

// ReadIDXLabels reads an IDX file of uint8 labels (magic IDXMagicLabels,
// dimensions [N]), plain or gzip-compressed as for ReadIDXImages.
func ReadIDXLabels(path string) ([]uint8, error) {
	_, labels, err := readIDX(path, IDXMagicLabels)
	return labels, err
}

// readIDX reads a uint8 IDX file whose magic must be want and returns its
// dimensions and payload.
func readIDX(path string, want uint32) ([]int, []byte, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r, err := maybeGunzip(f, path)
	if err != nil {
		return nil, nil, err
	}

	ndim := int(want & 0xff)
	header := make([]byte, 4+4*ndim)
	// Check the magic before reading the sizes, so that a file of another
	// kind is reported as such rather than as truncated.
	if n, err := readFull(r, header[:4]); err != nil {
		return nil, nil, payloadError(path, "header", int64(len(header)), int64(n), err)
	}
	if magic := binary.BigEndian.Uint32(header); magic != want {
		return nil, nil, fmt.Errorf("data: %s: bad IDX magic 0x%08x, want 0x%08x (%s): %s",
			path, magic, want, describeIDXMagic(want), describeIDXMagic(magic))
	}
	if n, err := readFull(r, header[4:]); err != nil {
		return nil, nil, payloadError(path, "header", int64(len(header)), int64(4+n), err)
	}
	dims := make([]int, ndim)
	size := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(header[4+4*i:])
		dims[i] = int(d)
		hi, lo := bits.Mul64(size, uint64(d))
		if hi != 0 || lo > maxIDXBytes {
			return nil, nil, fmt.Errorf("data: %s: IDX header dimensions %s exceed the %d-byte limit; the header is corrupt",
				path, formatDims(header[4:], ndim), uint64(maxIDXBytes))
		}
		size = lo
	}

	// A plain file's size is checked against the header before the payload
	// is read (a 20 GB file whose header announces 12 bytes is refused at
	// once, not after reading it); a gzip stream's as it is read.
	_, zipped := r.(*gzip.Reader)
	if st, err := f.Stat(); err == nil && !zipped {
		if have := st.Size() - int64(len(header)); have < int64(size) {
			return nil, nil, payloadError(path, "payload ("+formatDims(header[4:], ndim)+")", int64(size), have, io.EOF)
		} else if have > int64(size) {
			return nil, nil, fmt.Errorf("data: %s: %d unexpected bytes after the payload of %s (%d bytes); the header dimensions do not match the file size",
				path, have-int64(size), formatDims(header[4:], ndim), size)
		}
	}
	payload, err := readPayload(r, int64(size))
	if err != nil {
		return nil, nil, payloadError(path, "payload ("+formatDims(header[4:], ndim)+")", int64(size), int64(len(payload)), err)
	}
	// One byte more: the end of the stream (a gzip stream checks its CRC
	// there); anything past the payload is refused without reading it all.
	extra, err := io.CopyN(io.Discard, r, 1)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("data: %s: corrupt data after the %d-byte payload: %v; re-download the file", path, size, err)
	}
	if extra > 0 {
		return nil, nil, fmt.Errorf("data: %s: unexpected bytes after the payload of %s (%d bytes); the header dimensions do not match the file size",
			path, formatDims(header[4:], ndim), size)
	}
	return dims, payload, nil
}

// openFile opens path for reading under the one input rule
// (internal/inputfile: a regular file, never a device, FIFO or socket, and
// never a wait for a FIFO's writer), with a one-line error such as
// "data: PATH: no such file or directory" that wraps the cause (so
// errors.Is(err, fs.ErrNotExist) works), or "data: PATH is a directory".
func openFile(path string) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("data: %s is a directory, want a data file", path)
	}
	f, _, err := inputfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return f, nil
}

// maybeGunzip returns a reader of the decompressed contents of f if it starts
// with the gzip magic 0x1f 0x8b (RFC 1952 §2.3.1), and of f itself otherwise.
func maybeGunzip(f io.Reader, path string) (io.Reader, error) {
	br := bufio.NewReaderSize(f, 1<<16)
	magic, _ := br.Peek(2) // a short file is reported by the header read
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: %s: starts with the gzip magic but the gzip header is corrupt: %v", path, err)
		}
		return zr, nil
	}
	return br, nil
}

// readFull reads len(buf) bytes like io.ReadFull, but returns the reader's
// own error: io.EOF when the data ends early, anything else (such as a gzip
// checksum or io.ErrUnexpectedEOF from a cut gzip stream) as is.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			if n == len(buf) {
				return n, nil
			}
			return n, err
		}
	}
	return n, nil
}

// readPayload reads exactly size bytes. It allocates as data arrives (at most
// 64 MiB ahead), so a corrupt header cannot trigger a huge allocation. On
// error the returned slice holds what was read.
func readPayload(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, min(size, 1<<26))
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), size-int64(len(buf)))))
		}
		n, err := readFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// payloadError describes a failed read of want bytes of which got arrived.
func payloadError(path, what string, want, got int64, err error) error {
	if err == io.EOF {
		return fmt.Errorf("data: %s: truncated %s: expected %d bytes, got %d; re-download the file", path, what, want, got)
	}
	return fmt.Errorf("data: %s: read error in %s after %d of %d bytes (corrupt or truncated gzip stream?): %v; re-download the file",
		path, what, got, want, err)
}

// describeIDXMagic says in words what an IDX magic number announces.
func describeIDXMagic(m uint32) string {
	if m>>16 != 0 {
		return "not an IDX file"
	}
	types := map[uint32]string{0x08: "uint8", 0x09: "int8", 0x0b: "int16", 0x0c: "int32", 0x0d: "float32", 0x0e: "float64"}
	typ, ok := types[m>>8&0xff]
	if !ok {
		return fmt.Sprintf("unknown IDX element type 0x%02x", m>>8&0xff)
	}
	s := fmt.Sprintf("%d-D %s IDX data", m&0xff, typ)
	switch m {
	case IDXMagicImages:
		s += ", an image file"
	case IDXMagicLabels:
		s += ", a label file"
	}
	return s
}

// formatDims renders ndim big-endian uint32 sizes as "60000×28×28".
func formatDims(b []byte, ndim int) string {
	parts := make([]string, ndim)
	for i := range parts {
		parts[i] = strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[4*i:])), 10)
	}
	return strings.Join(parts, "×")
}
