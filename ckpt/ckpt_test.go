package ckpt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func testStore() *model.Store {
	s := model.NewStore()
	s.VariableWithValue("/net/w", [][]float32{{1, 2, 3}, {4, 5, 6}})
	s.VariableWithValue("/ddpm/step", int64(42)).SetTrainable(false)
	s.VariableWithValue("/rng", []uint64{7, 8, 9})
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.ddpm")
	if err := Save(testStore(), path, map[string]any{"steps": 42}); err != nil {
		t.Fatal(err)
	}
	s := model.NewStore()
	meta, err := Load(s, path)
	if err != nil {
		t.Fatal(err)
	}
	if string(meta) != `{"steps":42}` {
		t.Errorf("meta %s", meta)
	}
	w := tensors.MustCopyFlatData[float32](s.GetVariable("/net/w").MustValue())
	if len(w) != 6 || w[5] != 6 || !s.GetVariable("/net/w").Trainable {
		t.Errorf("w = %v", w)
	}
	if st := s.GetVariable("/ddpm/step"); tensors.ToScalar[int64](st.MustValue()) != 42 || st.Trainable {
		t.Errorf("step variable not restored")
	}
	if r := tensors.MustCopyFlatData[uint64](s.GetVariable("/rng").MustValue()); r[2] != 9 {
		t.Errorf("rng %v", r)
	}
	// Loading into a store whose variable has another shape is refused.
	bad := model.NewStore()
	bad.VariableWithValue("/net/w", []float32{1, 2})
	if _, err := Load(bad, path); err == nil || !strings.Contains(err.Error(), "wrong model configuration") {
		t.Errorf("shape mismatch: %v", err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ddpm")
	if err := Save(testStore(), good, nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	cases := map[string][]byte{
		"bad magic": append([]byte("XXXXXXXX"), raw[8:]...),
		"truncated": raw[:len(raw)-5],
		"header":    raw[:14],
		"checksum":  append(append([]byte(nil), raw[:len(raw)-1]...), raw[len(raw)-1]^0xff),
		"empty":     {},
	}
	for name, data := range cases {
		p := filepath.Join(dir, name+".ddpm")
		_ = os.WriteFile(p, data, 0o644)
		_, err := Load(model.NewStore(), p)
		if err == nil || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := Load(model.NewStore(), filepath.Join(dir, "missing.ddpm")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing: %v", err)
	}
}

func TestRunKeepsNAndRefusesAnotherRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	id := map[string]any{"data": "swissroll", "seed": 1}
	r, err := OpenRun(dir, id, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int64{10, 20, 30} {
		if err := r.Save(testStore(), step, nil); err != nil {
			t.Fatal(err)
		}
	}
	steps, _ := r.Steps()
	if len(steps) != 2 || steps[0] != 20 || steps[1] != 30 {
		t.Errorf("kept %v, want [20 30]", steps)
	}
	if s, _, ok, _ := r.Latest(); !ok || s != 30 {
		t.Errorf("latest %d", s)
	}
	// Same identity reopens (once the lock is released); another is refused
	// and nothing is touched.
	r.Close()
	if r2, err := OpenRun(dir, map[string]any{"seed": 1, "data": "swissroll"}, 2); err != nil {
		t.Errorf("reopen: %v", err)
	} else {
		r2.Close()
	}
	if _, err := OpenRun(dir, map[string]any{"data": "moons", "seed": 1}, 2); err == nil || !strings.Contains(err.Error(), "holds a different run") {
		t.Errorf("other run: %v", err)
	}
	if steps2, _ := r.Steps(); len(steps2) != 2 {
		t.Errorf("checkpoints touched: %v", steps2)
	}
	// A folder with checkpoints but no run.json is not adopted.
	_ = os.Remove(filepath.Join(dir, "run.json"))
	if _, err := OpenRun(dir, id, 2); err == nil {
		t.Error("a folder of unknown checkpoints was adopted")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left %s", e.Name())
		}
	}
}
