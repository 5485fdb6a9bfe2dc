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
	"os"
	"sort"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
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
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
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
	h, data, err := read(path)
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

// ReadMeta returns the metadata of a checkpoint file without loading its variables.
func ReadMeta(path string) (json.RawMessage, error) {
	h, _, err := read(path)
	if err != nil {
		return nil, err
	}
	return h.Meta, nil
}

func read(path string) (*header, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("ckpt: %s: no such file", path)
		}
		return nil, nil, fmt.Errorf("ckpt: %s: %w", path, err)
	}
	return parse(raw, path)
}

// parse splits the bytes of a checkpoint file into its header and data and
// checks every variable's header against the data it points to.
func parse(raw []byte, path string) (*header, []byte, error) {
	if len(raw) < len(magic)+4 || string(raw[:len(magic)]) != magic {
		return nil, nil, fmt.Errorf("ckpt: %s: not a ddpm checkpoint (bad magic bytes)", path)
	}
	n := int(binary.LittleEndian.Uint32(raw[len(magic):]))
	start := len(magic) + 4
	if start+n > len(raw) {
		return nil, nil, fmt.Errorf("ckpt: %s: truncated: header needs %d bytes, file has %d", path, n, len(raw)-start)
	}
	var h header
	if err := json.Unmarshal(raw[start:start+n], &h); err != nil {
		return nil, nil, fmt.Errorf("ckpt: %s: corrupt header: %v", path, err)
	}
	data := raw[start+n:]
	var need int64
	for _, vh := range h.Vars {
		need = max(need, vh.Offset+vh.Bytes)
	}
	if need > int64(len(data)) {
		return nil, nil, fmt.Errorf("ckpt: %s: truncated: expected %d data bytes, got %d", path, need, len(data))
	}
	for _, vh := range h.Vars {
		if err := vh.check(int64(len(data))); err != nil {
			return nil, nil, fmt.Errorf("ckpt: %s: %w", path, err)
		}
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
