package figures

import (
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/backend"
)

// Notebook 05's knobs on the shipped class-conditional model (the GPU
// recipe; weights/mnist_cond.json: at w = 1 the classifier reads 99.95 % of
// 2,000 samples as the digit asked for): a requested digit comes back as that
// digit, all ten in turn come back in order, the reading is what the
// classifier says, and bad requests are refused.
func TestDigitsView(t *testing.T) {
	fc := Config{Backend: backend.Must(), Seed: 7}
	v, err := fc.NewDigitsView("../weights/mnist_cond.ddpm", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		digit int
		w     float64
	}{{3, 1}, {-1, 1}, {3, 1}} { // the second {3, 1} reuses the compiled sampler
		b, r, err := v.At(c.digit, c.w)
		decodes(t, "DigitsView", b, err)
		if r.N != 10 || r.Digit != c.digit || r.W != c.w || r.Requested < 0.8 || r.Confident < 0.5 {
			t.Errorf("digit %d, w = %g: %+v (want ≥ 80 %% read as asked)", c.digit, c.w, r)
		}
		if !strings.Contains(r.String(), "read as the digit asked for") {
			t.Errorf("reading line %q", r)
		}
	}
	if len(v.cache) != 2 {
		t.Errorf("%d compiled samplers for two settings", len(v.cache))
	}
	if _, _, err := v.At(10, 0); err == nil {
		t.Error("digit 10 accepted")
	}
	if _, err := fc.NewDigitsView("../weights/mnist.ddpm", "", 10); err == nil || !strings.Contains(err.Error(), "class-conditional") {
		t.Errorf("unconditional weights: %v", err)
	}
	if _, err := fc.NewDigitsView("../weights/mnist_cond.ddpm", "", 9); err == nil {
		t.Error("9 samples per grid accepted")
	}
}
