package figures

import (
	"bytes"
	"image/png"
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
	if got := (Config{}).All([]string{"w/a.ddpm", "w/b.ddpm"}); len(got) != 6 || got[4].Name != "samples_a.png" || got[5].Name != "samples_b.png" {
		t.Errorf("All: %v", got)
	}
}
