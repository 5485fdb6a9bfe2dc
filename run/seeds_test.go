package run

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed files in ckpt/testdata, trained/testdata and run/testdata from a tiny training run")

// TestUpdateFuzzSeeds writes the real files the fuzz tests start from: a
// checkpoint, a weight file, a loss log and a run.json of a 6-step run of a
// 4-wide MLP (a few kB each). Run with -update-seeds.
func TestUpdateFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite the seed files")
	}
	dir := t.TempDir()
	cfg := recipe.Config{Data: "moons", Network: nets.MLPConfig{Hidden: 4, Layers: 1}, Batch: 8, TrainConfig: ddpm.TrainConfig{Seed: 1}}
	if _, err := Train(backendpkg.Must(), cfg, Options{Steps: 6, Dir: dir, CheckpointEvery: 3, Keep: 1}); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{
		"ckpt-000000006.ddpm": "../ckpt/testdata/tiny-ckpt.ddpm",
		"weights.ddpm":        "../trained/testdata/tiny-weights.ddpm",
		"loss.csv":            "testdata/loss.csv",
		"run.json":            "testdata/run.json",
	} {
		b, err := os.ReadFile(filepath.Join(dir, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("../ckpt/testdata/tiny-weights.ddpm", must(os.ReadFile(filepath.Join(dir, "weights.ddpm"))), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
