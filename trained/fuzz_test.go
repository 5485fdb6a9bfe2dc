package trained

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/fuzzcount"
	"github.com/ddpm-go/ddpm-go/internal/metatest"
)

// The weight file's reader, fed the real weight file of a tiny run
// (testdata/tiny-weights.ddpm, written by run's TestUpdateFuzzSeeds) and
// mutations of it: a one-line error or a value, never a panic.

// FuzzLoadWeights covers the weight file's metadata → network configuration
// → variables check, through the file reader as ddpm sample and eval use it.
func FuzzLoadWeights(f *testing.F) {
	b := fuzzcount.Seed(f, "tiny-weights.ddpm")
	f.Add(b)
	for _, r := range [][2]string{{`"Hidden":4`, `"Hidden":-4`}, {`"Hidden":4`, `"Hidden":8`}, {`"T":1000`, `"T":20000000`}} {
		f.Add(metatest.WithMeta(f, b, r[0], r[1]))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzcount.Exec("FuzzLoadWeights")
		path := filepath.Join(t.TempDir(), "w.ddpm")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(path)
		fuzzcount.OneLine(t, err)
		if err == nil && m.Config.NumParameters() <= 0 {
			t.Errorf("loaded weights of %d parameters", m.Config.NumParameters())
		}
	})
}
