package figures

import (
	"bytes"
	"image/png"
	"path/filepath"
	"testing"
)

// The figures that need no backend decode as PNGs of a sensible size (the
// CLI test in cmd/ddpm writes all of them, samples included, with -quick).
func TestFiguresWithoutGraphs(t *testing.T) {
	for name, f := range map[string]func() ([]byte, error){"Schedules": Schedules, "PosteriorBayes": PosteriorBayes} {
		b, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width < 500 || cfg.Height < 300 {
			t.Errorf("%s: %d×%d, %v", name, cfg.Width, cfg.Height, err)
		}
	}
	w := func(name string) string { return filepath.Join("..", "weights", name+".ddpm") }
	got, err := (Config{}).All([]string{w("swissroll"), w("mnist_cond")})
	if err != nil || len(got) != 7 || got[4].Name != "samples_swissroll.png" || got[5].Name != "samples_mnist_cond.png" || got[6].Name != "guidance_mnist_cond.png" {
		t.Errorf("All: %v, %v", got, err)
	}
	// A weight file that does not load is an error, not a figure silently left out.
	if _, err := (Config{}).All([]string{w("swissroll"), filepath.Join(t.TempDir(), "missing.ddpm")}); err == nil {
		t.Error("All with a missing weight file: no error")
	}
}
