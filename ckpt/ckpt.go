// Package ckpt saves and restores every variable of a GoMLX model.Store —
// weights, optimizer moments, EMA, step counters and the RNG state — so that
// a training run resumes exactly, and manages a run's checkpoint folder.
//
// File format (".ddpm"): the 8 bytes "DDPMCKP1", a little-endian uint32 n,
// n bytes of JSON header (metadata and, for each variable, its path, dtype,
// dimensions, trainable flag, byte offset, length and CRC-32), then the raw
// little-endian data of the variables back to back. Files are written by
// package internal/atomicfile: to a temporary name in the same folder,
// synced, then renamed (a crash leaves either the old file or the new one,
// never a torn one), and only over a file of the same format (see
// atomicfile.CheckDest). A file with a NaN or infinite value is neither
// written nor read ([ErrNonFinite]).
package ckpt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sort"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/ddpm-go/ddpm-go/internal/inputfile"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

const magic = atomicfile.DDPMMagic

type varHeader struct {
	Path      string `json:"path"`
	DType     string `json:"dtype"`
	Dims      []int  `json:"dims"`
	Trainable bool   `json:"trainable"`
	Offset    int64  `json:"offset"`
	Bytes     int64  `json:"bytes"`
	CRC32     uint32 `json:"crc32"`
}

type header struct {
	Meta json.RawMessage `json:"meta,omitempty"`
	Vars []varHeader     `json:"vars"`
}

// Save writes every variable of store with a value, and meta (any JSON
// value, or nil), to path atomically. Path must end in .ddpm and may replace
// only a ckpt file (atomicfile.CheckDest); a variable holding a NaN or an
// infinity is an error wrapping [ErrNonFinite], and nothing is written.
func Save(store *model.Store, path string, meta any) error {
	return SaveFiltered(store, path, meta, nil)
}

// SaveFiltered is [Save] of the variables for which keep returns true (all
// when keep is nil): e.g. a network's weights without the optimizer's state.
func SaveFiltered(store *model.Store, path string, meta any, keep func(*model.Variable) bool) error {
	raw, err := encode(store, path, meta, keep)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, atomicfile.DDPM, raw); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	return nil
}

// encode is the content of the ckpt file of store's variables that keep
// accepts (all when keep is nil), with meta; path is for the errors.
func encode(store *model.Store, path string, meta any, keep func(*model.Variable) bool) ([]byte, error) {
	var h header
	if meta != nil {
		raw, err := json.Marshal(meta)
		if err != nil {
			return nil, fmt.Errorf("ckpt: %s: metadata: %w", path, err)
		}
		h.Meta = raw
	}
	var vars []*model.Variable
	for v := range store.IterVariables() {
		if v.HasValue() && (keep == nil || keep(v)) {
			vars = append(vars, v)
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Path() < vars[j].Path() })
	var data bytes.Buffer
	for _, v := range vars {
		val, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("ckpt: %s: variable %s: %w", path, v.Path(), err)
		}
		var raw []byte
		if err := val.ConstBytes(func(b []byte) { raw = append([]byte(nil), b...) }); err != nil {
			return nil, fmt.Errorf("ckpt: %s: variable %s: %w", path, v.Path(), err)
		}
		if i := nonFinite(val.DType(), raw); i >= 0 {
			return nil, fmt.Errorf("ckpt: %s: variable %s: %w (NaN or ±Inf at element %d): not written", path, v.Path(), ErrNonFinite, i)
		}
		h.Vars = append(h.Vars, varHeader{Path: v.Path(), DType: val.DType().String(), Dims: val.Shape().Dimensions,
			Trainable: v.Trainable, Offset: int64(data.Len()), Bytes: int64(len(raw)), CRC32: crc32.ChecksumIEEE(raw)})
		data.Write(raw)
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("ckpt: %s: header: %w", path, err)
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr))))
	buf.Write(hdr)
	buf.Write(data.Bytes())
	return buf.Bytes(), nil
}

// Load reads a file written by [Save] into store, creating or replacing its
// variables, and returns the file's metadata (raw JSON, possibly nil).
// Every problem is reported in one line naming the file; a variable holding
// a NaN or an infinity is an error wrapping [ErrNonFinite] that also names
// the variable (and store is left unchanged).
func Load(store *model.Store, path string) (json.RawMessage, error) {
	h, data, err := read(path, true)
	if err != nil {
		return nil, err
	}
	return load(store, h, data, path)
}

// load is [Load] of a parsed file.
func load(store *model.Store, h *header, data []byte, path string) (json.RawMessage, error) {
	ts := make([]*tensors.Tensor, len(h.Vars))
	for i, vh := range h.Vars {
		t, err := vh.tensor(data)
		if err != nil {
			return nil, fmt.Errorf("ckpt: %s: %w", path, err)
		}
		ts[i] = t
	}
	for i, vh := range h.Vars {
		t := ts[i]
		if v := store.GetVariable(vh.Path); v != nil {
			if !v.Shape().Equal(t.Shape()) {
				return nil, fmt.Errorf("ckpt: %s: variable %s has shape %s in the file but %s in the model: wrong model configuration for these weights?", path, vh.Path, t.Shape(), v.Shape())
			}
			if err := v.SetValue(t); err != nil {
				return nil, fmt.Errorf("ckpt: %s: variable %s: %w", path, vh.Path, err)
			}
			v.SetTrainable(vh.Trainable)
			continue
		}
		store.VariableWithValue(vh.Path, t).SetTrainable(vh.Trainable)
	}
	return h.Meta, nil
}

// ReadMeta returns the metadata of a checkpoint file without reading its
// variables: the file's structure is checked (magic bytes, header, the
// variables' sizes against the file's), their checksums are not.
func ReadMeta(path string) (json.RawMessage, error) {
	h, _, err := read(path, false)
	if err != nil {
		return nil, err
	}
	return h.Meta, nil
}

// maxHeaderBytes bounds the JSON header a reader allocates: a checkpoint's
// header carries the loss of every step (about 20 bytes each) and one line
// per variable, so 256 MiB is some ten million steps; a corrupt length
// beyond it is refused before anything is allocated.
const maxHeaderBytes = 1 << 28

// read opens path through the one input rule (internal/inputfile: a regular
// file, never a device, FIFO, socket or folder) and decodes it.
func read(path string, body bool) (*header, []byte, error) {
	f, size, err := inputfile.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("ckpt: %s: no such file", path)
		}
		return nil, nil, fmt.Errorf("ckpt: %w", err)
	}
	defer f.Close()
	return decode(f, size, path, body)
}

// parse is [decode] of a file's bytes in memory.
func parse(raw []byte, path string) (*header, []byte, error) {
	return decode(bytes.NewReader(raw), int64(len(raw)), path, true)
}

// decode reads a checkpoint file of size bytes from r in the order that
// lets nothing be read or allocated before it is known to fit: the magic
// bytes and the header's length first, then the header (its length checked
// against the file's size), then every variable's header checked against
// the data section's size, which must be exactly the bytes the variables
// announce — fewer is a truncated file, more is bytes a ckpt writer never
// writes (refused: they would be silently ignored) — and only then, when
// body is true, the data.
func decode(r io.Reader, size int64, path string, body bool) (*header, []byte, error) {
	var pre [len(magic) + 4]byte
	n0, err := io.ReadFull(r, pre[:])
	if n0 < len(magic) || string(pre[:len(magic)]) != magic {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, fmt.Errorf("ckpt: %s: %v", path, err)
		}
		return nil, nil, fmt.Errorf("ckpt: %s: not a ddpm checkpoint (bad magic bytes)", path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ckpt: %s: truncated: %d bytes, shorter than the %d-byte preamble", path, n0, len(pre))
	}
	start := int64(len(pre))
	n := int64(binary.LittleEndian.Uint32(pre[len(magic):]))
	if start+n > size {
		return nil, nil, fmt.Errorf("ckpt: %s: truncated: header needs %d bytes, file has %d", path, n, size-start)
	}
	if n > maxHeaderBytes {
		return nil, nil, fmt.Errorf("ckpt: %s: corrupt header: it announces %d bytes, more than the %d a checkpoint's header holds", path, n, maxHeaderBytes)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, fmt.Errorf("ckpt: %s: reading the header: %v (did the file change while it was read?)", path, err)
	}
	var h header
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, nil, fmt.Errorf("ckpt: %s: corrupt header: %v", path, err)
	}
	dataLen := size - start - n
	var need uint64 // the end of the furthest variable; a range that overflows is vh.check's to refuse
	for _, vh := range h.Vars {
		if vh.Offset >= 0 && vh.Bytes >= 0 && vh.Offset <= math.MaxInt64-vh.Bytes {
			need = max(need, uint64(vh.Offset+vh.Bytes))
		}
	}
	if need > uint64(dataLen) {
		return nil, nil, fmt.Errorf("ckpt: %s: truncated: expected %d data bytes, got %d", path, need, dataLen)
	}
	for _, vh := range h.Vars {
		if err := vh.check(dataLen); err != nil {
			return nil, nil, fmt.Errorf("ckpt: %s: %w", path, err)
		}
	}
	if uint64(dataLen) > need {
		return nil, nil, fmt.Errorf("ckpt: %s: %d bytes after the %d data bytes its header announces: not a file ckpt wrote (appended to, or corrupt)", path, uint64(dataLen)-need, need)
	}
	if !body {
		return &h, nil, nil
	}
	data := make([]byte, need)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, nil, fmt.Errorf("ckpt: %s: reading the data: %v (did the file change while it was read?)", path, err)
	}
	return &h, data, nil
}

func (vh varHeader) tensor(data []byte) (*tensors.Tensor, error) {
	dt, err := dtypes.DTypeString(vh.DType)
	if err != nil {
		return nil, fmt.Errorf("variable %s: unknown dtype %q", vh.Path, vh.DType)
	}
	if err := vh.check(int64(len(data))); err != nil {
		return nil, err
	}
	chunk := data[vh.Offset : vh.Offset+vh.Bytes]
	if crc32.ChecksumIEEE(chunk) != vh.CRC32 {
		return nil, fmt.Errorf("variable %s: checksum mismatch (corrupt file)", vh.Path)
	}
	if i := nonFinite(dt, chunk); i >= 0 {
		return nil, fmt.Errorf("variable %s: %w (NaN or ±Inf at element %d): the file is unusable", vh.Path, ErrNonFinite, i)
	}
	shape := shapes.Make(dt, vh.Dims...)
	t := tensors.FromShape(shape)
	if err := t.MutableBytes(func(b []byte) { copy(b, chunk) }); err != nil {
		return nil, err
	}
	return t, nil
}
