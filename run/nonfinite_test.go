package run

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/eval"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/gomlx/core/tensors"
)

// nanFixture is a weight file with a NaN and every checksum right: the
// first element of nanVariable of testdata/tiny-weights.ddpm set to NaN by
// poison (a bit flip whose CRC was fixed up, or a tool's output).
// TestNaNFixture checks that it is still that; -update-seeds rewrites it.
const (
	nanFixture  = "../trained/testdata/nan-weights.ddpm"
	nanVariable = "/net/out/weights"
)

// poison returns the ckpt file raw with element 0 of the float32 variable
// path set to NaN and its CRC-32 recomputed (the header re-encoded).
func poison(t *testing.T, raw []byte, path string) []byte {
	t.Helper()
	const magic = "DDPMCKP1"
	n := int(binary.LittleEndian.Uint32(raw[len(magic):]))
	start := len(magic) + 4
	dec := json.NewDecoder(bytes.NewReader(raw[start : start+n]))
	dec.UseNumber()
	var h struct {
		Meta json.RawMessage  `json:"meta"`
		Vars []map[string]any `json:"vars"`
	}
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	data := bytes.Clone(raw[start+n:])
	found := false
	for _, v := range h.Vars {
		if v["path"] != path {
			continue
		}
		if v["dtype"] != "Float32" {
			t.Fatalf("%s is %v", path, v["dtype"])
		}
		off, _ := v["offset"].(json.Number).Int64()
		size, _ := v["bytes"].(json.Number).Int64()
		binary.LittleEndian.PutUint32(data[off:], math.Float32bits(float32(math.NaN())))
		v["crc32"] = crc32.ChecksumIEEE(data[off : off+size])
		found = true
	}
	if !found {
		t.Fatalf("no variable %s", path)
	}
	hdr, _ := json.Marshal(h)
	out := append([]byte(magic), binary.LittleEndian.AppendUint32(nil, uint32(len(hdr)))...)
	return append(append(out, hdr...), data...)
}

func TestNaNFixture(t *testing.T) {
	want := poison(t, read(t, "../trained/testdata/tiny-weights.ddpm"), nanVariable)
	if *updateSeeds {
		if err := os.WriteFile(nanFixture, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(read(t, nanFixture), want) {
		t.Errorf("%s is not tiny-weights.ddpm with %s[0] = NaN: run go test ./run -run 'TestUpdateFuzzSeeds|TestNaNFixture' -update-seeds", nanFixture, nanVariable)
	}
}

// A weight file with a NaN is refused when loaded, naming the file and the
// tensor (it sampled an all-black grid or an empty scatter, and scored a
// table of NaN, with exit 0); as -init it is named as the bad -init (it
// "diverged at step 1" and advised a lower -lr).
func TestNaNWeightsRefused(t *testing.T) {
	_, err := trained.Load(nanFixture)
	if !errors.Is(err, ckpt.ErrNonFinite) || !strings.Contains(err.Error(), nanFixture) || !strings.Contains(err.Error(), nanVariable) || strings.Contains(err.Error(), "\n") {
		t.Errorf("LoadWeights: %v, want a one-line error naming %s and %s", err, nanFixture, nanVariable)
	}
	dir := filepath.Join(t.TempDir(), "run")
	cfg := recipe.Config{Data: "moons", Network: nets.MLPConfig{Hidden: 4, Layers: 1}, Batch: 8, TrainConfig: ddpm.TrainConfig{Seed: 1}}
	_, err = train(t, cfg, Options{Steps: 5, Dir: dir, InitFrom: nanFixture})
	if err == nil || !strings.Contains(err.Error(), "Options.InitFrom "+nanFixture) || !strings.Contains(err.Error(), nanVariable) || strings.Contains(err.Error(), "LearningRate") {
		t.Errorf("-init of NaN weights: %v, want the bad Options.InitFrom named", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the refused -init left a run folder")
	}
	t.Log(err)
}

// Weights that became NaN in memory are never written: SaveWeights refuses
// them, and the samplers refuse the samples they give.
func TestNaNNeverWrittenNorSampled(t *testing.T) {
	m, err := trained.Load("../trained/testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	v := m.Store.GetVariable(nanVariable)
	w := tensors.MustCopyFlatData[float32](v.MustValue())
	w[0] = float32(math.NaN())
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "w.ddpm")
	if err := trained.Save(m.Store, p, m.Config, m.Provenance); !errors.Is(err, ckpt.ErrNonFinite) {
		t.Errorf("SaveWeights of NaN weights: %v", err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("NaN weights were written")
	}
	backend := backendpkg.Must()
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Steps = 5
	if _, _, err := m.Sample(backend, sc, 20, 1); err == nil || !strings.Contains(err.Error(), "NaN or infinite") {
		t.Errorf("Sample of NaN weights: %v", err)
	}
	if _, err := m.SampleMany(backend, sc, trained.Guidance{}, 20, 1, trained.SampleOptions{Batch: 7}); err == nil || !strings.Contains(err.Error(), "NaN or infinite") {
		t.Errorf("SampleMany of NaN weights: %v", err)
	}
	if _, err := eval.Evaluate(backend, m, eval.Config{N: 20, Sample: sc}); err == nil || !strings.Contains(err.Error(), "NaN or infinite") {
		t.Errorf("Evaluate of NaN weights: %v", err)
	}
}

// The run: losses of 1e15–1e18 on most of steps 2–57 with dips in
// between ran its 300 steps (exit 0) and wrote weights that sampled NaN.
// It now stops as diverged and writes no weights.
func TestDivergenceWithDipsStops(t *testing.T) {
	dir := t.TempDir()
	cfg := recipe.Config{Data: "swissroll", TrainConfig: ddpm.TrainConfig{LearningRate: 5, GradClip: 1000, WarmupSteps: 1}}
	_, err := train(t, cfg, Options{Steps: 300, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "diverged at step") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line divergence error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "weights.ddpm")); err == nil {
		t.Error("weights written for a diverged run")
	}
	t.Log(err)
}
