package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/atomicfile"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/ml/model"
)

func TestMagicIsAtomicfiles(t *testing.T) {
	if magic != "DDPMCKP1" || atomicfile.DDPMMagic != magic {
		t.Errorf("ckpt's magic %q, atomicfile's %q", magic, atomicfile.DDPMMagic)
	}
}

func TestNonFiniteBits(t *testing.T) {
	le32 := func(v ...float32) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, v)
		return b.Bytes()
	}
	le64 := func(v ...float64) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, v)
		return b.Bytes()
	}
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		dt   dtypes.DType
		raw  []byte
		want int
	}{
		{dtypes.Float32, le32(1, -2, math.MaxFloat32, math.SmallestNonzeroFloat32), -1},
		{dtypes.Float32, le32(1, float32(math.NaN())), 1},
		{dtypes.Float32, le32(-inf, 0), 0},
		{dtypes.Float64, le64(1, math.MaxFloat64, math.Inf(-1)), 2},
		{dtypes.Float16, []byte{0x00, 0x3c, 0x00, 0x7c}, 1},  // 1.0, +Inf
		{dtypes.Float16, []byte{0xff, 0x7b}, -1},             // 65504, the largest
		{dtypes.BFloat16, []byte{0x80, 0x3f, 0xc0, 0x7f}, 1}, // 1.0, NaN
		{dtypes.Complex64, le32(1, 2, 3, float32(math.NaN())), 1},
		{dtypes.Int32, []byte{0xff, 0xff, 0xff, 0x7f}, -1},
		{dtypes.Uint64, bytes.Repeat([]byte{0xff}, 8), -1},
	} {
		if got := nonFinite(c.dt, c.raw); got != c.want {
			t.Errorf("%s % x: %d, want %d", c.dt, c.raw, got, c.want)
		}
	}
}

// A NaN is never written, and a file holding one (its checksum right, as a
// tool or a bit flip with a fixed-up CRC would leave it) is refused naming
// the file and the variable.
func TestNonFiniteRefused(t *testing.T) {
	dir := t.TempDir()
	s := testStore()
	s.VariableWithValue("/net/b", []float32{0, float32(math.NaN())})
	p := filepath.Join(dir, "nan.ddpm")
	if err := Save(s, p, nil); !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "/net/b") {
		t.Errorf("Save of a NaN: %v", err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("a file with a NaN was written")
	}
	r, err := OpenRun(filepath.Join(dir, "run"), map[string]int{"seed": 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Save(s, 5, nil); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Run.Save of a NaN: %v", err)
	}

	nan := math.Float32bits(float32(math.NaN()))
	data := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(1)), nan)
	hdr := fmt.Sprintf(`{"vars":[{"path":"/net/w","dtype":"Float32","dims":[2],"offset":0,"bytes":8,"crc32":%d,"trainable":true}]}`, crc32.ChecksumIEEE(data))
	os.WriteFile(p, file(hdr, data), 0o644)
	store := model.NewStore()
	_, err = Load(store, p)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "/net/w") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Load of a NaN: %v, want a one-line error naming the file and /net/w", err)
	}
	if store.GetVariable("/net/w") != nil {
		t.Error("the refused file left a variable in the store")
	}
}

func TestProbeLockAndCheckRunFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := ProbeLock(dir); err != nil {
		t.Errorf("a missing folder: %v", err)
	}
	r, err := OpenRun(dir, map[string]int{"seed": 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, LockName))
	if err := ProbeLock(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Errorf("held: %v", err)
	}
	r.Close()
	if err := ProbeLock(dir); err != nil {
		t.Errorf("released: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, LockName)); !bytes.Equal(now, lock) {
		t.Error("ProbeLock changed the lock file")
	}
	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, "notes.txt"), nil, 0o644)
	if err := CheckRunFolder(foreign); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("foreign: %v", err)
	}
	if err := CheckRunFolder(filepath.Join(foreign, "notes.txt")); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("a file: %v", err)
	}
}

// Other commands may not write a run's checkpoints; the run writes its own,
// a torn one included.
func TestRunFilesAreTheRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := OpenRun(dir, map[string]int{"seed": 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := Save(testStore(), r.Path(5), nil); err == nil || !strings.Contains(err.Error(), "a file of the run") {
		t.Errorf("ckpt.Save over a run's checkpoint: %v", err)
	}
	os.WriteFile(r.Path(5), []byte("torn"), 0o644)
	if err := r.Save(testStore(), 5, nil); err != nil {
		t.Errorf("the run over its own torn checkpoint: %v", err)
	}
	if err := atomicfile.CheckDest(filepath.Join(dir, "ckpt-000000007.ddpm.diverged"), atomicfile.DDPM); err == nil {
		t.Error("a diverged checkpoint's name was writable")
	}
}
