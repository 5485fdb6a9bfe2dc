package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/nets"
	"github.com/ddpm-go/ddpm-go/recipe"
	runpkg "github.com/ddpm-go/ddpm-go/run"
)

// ddpm figures -quick writes every figure as a valid PNG of a sensible size,
// including samples_<name>.png for a weight file in -weights (a 2-D model
// trained for a few steps here).
func TestFiguresQuickWritesValidPNGs(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model and runs the samplers")
	}
	tmp := t.TempDir()
	res, err := runpkg.Train(backendpkg.Must(), recipe.Config{Data: "moons", Network: nets.MLPConfig{Hidden: 32}, Batch: 64},
		runpkg.Options{Steps: 20, Dir: filepath.Join(tmp, "run")})
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(tmp, "weights")
	if err := os.MkdirAll(weights, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res.WeightsPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(weights, "moons.ddpm"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "figures")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"figures", "-quick", "-out", out, "-weights", weights}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range []struct {
		name       string
		minW, minH int // the smallest plausible size in pixels
	}{
		{"schedules.png", 1000, 300},          // two 6×4 in panels at 96 dpi
		{"forward_mnist.png", 6 * 84, 4 * 84}, // 6 columns × 4 digits, 28 px × 3
		{"posterior_bayes.png", 500, 300},
		{"langevin_annealed.png", 800, 400}, // two 420 px panels
		{"samples_moons.png", 300, 300},
	} {
		data, err := os.ReadFile(filepath.Join(out, f.name))
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s is not a PNG: %v", f.name, err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s does not decode: %v", f.name, err)
		}
		if cfg.Width < f.minW || cfg.Height < f.minH {
			t.Errorf("%s is %d×%d pixels, want at least %d×%d", f.name, cfg.Width, cfg.Height, f.minW, f.minH)
		}
		if !strings.Contains(stdout.String(), filepath.Join(out, f.name)) {
			t.Errorf("stdout does not name %s: %q", f.name, stdout.String())
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 5 {
		t.Errorf("%d files in the output folder, want 5 (no temporary files left)", len(entries))
	}
}

func TestFiguresBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"figures", "extra"},
		{"figures", "-quick=maybe"},
		{"figures", "-weights", "["}, // a malformed glob pattern
	} {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		msg := strings.TrimSpace(stderr.String())
		if code != 2 || msg == "" || strings.Contains(msg, "\n") || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, stderr.String(), stdout.String())
		}
	}
}
