package run

import (
	"bytes"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/fuzzcount"
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
