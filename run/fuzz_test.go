package run

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/fuzzcount"

	"github.com/ddpm-go/ddpm-go/ckpt"
	"github.com/gomlx/gomlx/ml/model"
)

// Readers of outside bytes in this package, fed real files of a tiny run
// (testdata/, written by TestUpdateFuzzSeeds) and mutations of them: a
// one-line error or a value, never a panic.

func FuzzParseLosses(f *testing.F) {
	f.Add(fuzzcount.Seed(f, "loss.csv"))
	f.Add([]byte("step,loss\n1,0.5\n3,0.4\n"))
	f.Add([]byte("step,loss\n1,NaN\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzcount.Exec("FuzzParseLosses")
		losses, err := ParseLosses(bytes.NewReader(b), 1<<40)
		fuzzcount.OneLine(t, err)
		if err == nil && len(losses) > bytes.Count(b, []byte("\n"))+1 {
			t.Errorf("%d losses from %d lines", len(losses), bytes.Count(b, []byte("\n"))+1)
		}
	})
}

func FuzzParseRunJSON(f *testing.F) {
	f.Add(fuzzcount.Seed(f, "run.json"))
	f.Add([]byte(`{"data":"moons","mlp":{"Hidden":-5}}`))
	f.Add([]byte(`{"data":"mnist","unet":{"Base":1000000,"Mults":[64,64,64,64,64,64,64,64]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzcount.Exec("FuzzParseRunJSON")
		c, err := ParseRunJSON(b)
		fuzzcount.OneLine(t, err)
		if err == nil {
			c, err = c.WithDefaults()
			if err != nil {
				t.Fatalf("ParseRunJSON accepted a config WithDefaults refuses: %v", err)
			}
			if n := c.NumParameters(); n <= 0 {
				t.Errorf("accepted a config of %d parameters", n)
			}
		}
	})
}

// withMeta returns the weight file b with old replaced by new in its
// metadata, re-encoded (header length and checksums right).
func withMeta(tb testing.TB, b []byte, old, new string) []byte {
	dir := tb.TempDir()
	path := filepath.Join(dir, "w.ddpm")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	store := model.NewStore()
	meta, err := ckpt.Load(store, path)
	if err != nil {
		tb.Fatal(err)
	}
	meta = json.RawMessage(strings.Replace(string(meta), old, new, 1))
	if err := ckpt.Save(store, path, meta); err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
