package trained

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// RewriteProvenance changes the record and nothing else.
func TestRewriteProvenance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.ddpm")
	raw, err := os.ReadFile("testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := RewriteProvenance(path, func(p *Provenance) { p.Command = "ddpm train (rewritten)" }); err != nil {
		t.Fatal(err)
	}
	after, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Provenance.Command != "ddpm train (rewritten)" || after.Provenance.Steps != before.Provenance.Steps || !reflect.DeepEqual(after.Config, before.Config) {
		t.Errorf("provenance %+v, config %+v; before %+v, %+v", after.Provenance, after.Config, before.Provenance, before.Config)
	}
	for v := range before.Store.IterVariables() {
		w := after.Store.GetVariable(v.Path())
		if w == nil || !reflect.DeepEqual(tensors.MustCopyFlatData[float32](w.MustValue()), tensors.MustCopyFlatData[float32](v.MustValue())) {
			t.Errorf("variable %s changed", v.Path())
		}
	}
}
