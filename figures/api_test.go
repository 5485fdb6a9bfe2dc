package figures

import (
	"fmt"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/classifier"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/eval"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/run"
	"github.com/ddpm-go/ddpm-go/trained"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Issue 27, part 6: the exported API a notebook calls, given zero or
// wrong-shaped arguments, returns a clear error instead of panicking from
// deep inside the graph builder. Those marked "was" panicked (a nil
// pointer, an index out of range) or failed inside GoMLX's BroadcastInDim
// or shapes.Make before; the others already answered and are kept so.
func TestAPIBadArguments(t *testing.T) {
	b := backendpkg.Must()
	toy, err := trained.Load("../trained/testdata/tiny-weights.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	mnist, err := trained.Load("../weights/mnist.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	var nilModel *trained.Model
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		// was: BroadcastInDim … dimension 0 inside the sampler's graph
		{"Model.Sample n=0", func() error { _, _, err := toy.Sample(b, ddpm.SampleConfig{}, 0, 1); return err }, "0 samples: at least 1"},
		// was: shapes.Make … dimension < 0 inside StandardNormal's graph
		{"Model.Sample n=-1", func() error { _, _, err := toy.Sample(b, ddpm.SampleConfig{}, -1, 1); return err }, "-1 samples: at least 1"},
		{"Model.SampleMany n=0", func() error {
			_, err := toy.SampleMany(b, ddpm.SampleConfig{}, trained.Guidance{}, 0, 1, trained.SampleOptions{})
			return err
		}, "0 samples"},
		// was: nil pointer dereference (a notebook that ignored LoadWeights's error)
		{"nil Model.Sample", func() error { _, _, err := nilModel.Sample(b, ddpm.SampleConfig{}, 4, 1); return err }, "a nil *Model"},
		{"nil Model.SampleMany", func() error {
			_, err := nilModel.SampleMany(b, ddpm.SampleConfig{}, trained.Guidance{}, 4, 1, trained.SampleOptions{})
			return err
		}, "a nil *Model"},
		{"zero Model.Sample", func() error { var z trained.Model; _, _, err := z.Sample(b, ddpm.SampleConfig{}, 4, 1); return err }, "make it with trained.Load"},
		{"Evaluate of a nil Model", func() error { _, err := eval.Evaluate(b, nil, eval.Config{}); return err }, "a nil *Model"},
		// was: nil pointer dereference; index out of range [2]
		{"SamplesPNG nil", func() error { _, err := SamplesPNG(toy.Config, nil, "x", 1); return err }, "a nil tensor"},
		{"SamplesPNG 2-D points of rank 1", func() error {
			_, err := SamplesPNG(toy.Config, tensors.FromValue([]float32{1, 2, 3}), "x", 1)
			return err
		}, "example dimensions [2]"},
		{"SamplesPNG images [2, 2]", func() error {
			_, err := SamplesPNG(mnist.Config, tensors.FromValue([][]float32{{1, 2}, {3, 4}}), "x", 1)
			return err
		}, "example dimensions [28 28 1]"},
		// was: nil pointer dereference
		{"NLL nil x0", func() error {
			_, err := ddpm.NLL(b, mnist.Store, mnist.Schedule, mnist.Net(), ddpm.NLLConfig{}, nil)
			return err
		}, "got a nil one"},
		{"NLL nil schedule", func() error {
			_, err := ddpm.NLL(b, mnist.Store, nil, mnist.Net(), ddpm.NLLConfig{}, tensors.FromValue([][]float32{{1}}))
			return err
		}, "schedule false"},
		{"NewPosterior nil schedule", func() error { _, err := NewPosterior(nil, 1, 0, 0); return err }, "nil schedule"},
		// Already clear.
		{"NewPosterior t=-1", func() error { _, err := NewPosterior(mnist.Schedule, -1, 0, 0); return err }, "t=-1"},
		{"classifier.Infer of 5 values", func() error { _, _, err := classifier.Infer(b, model.NewStore(), make([]float32, 5)); return err }, "5 values are not 28×28×1 images"},
		{"classifier.FD of nothing", func() error { _, err := classifier.FD(nil, nil); return err }, "0 values"},
		{"ScheduleFromBetas(nil)", func() error { _, err := ddpm.ScheduleFromBetas(nil); return err }, "at least one β"},
		{"Train of zero options", func() error { _, err := run.Train(b, recipe.Config{}, run.Options{}); return err }, "steps ≥ 1 and a run folder"},
		{"Load(\"\")", func() error { _, err := trained.Load(""); return err }, "no such file"},
		{"Guided without labels", func() error { _, err := ddpm.Guided(nil, 0, nil, 0); return err }, "at least one label"},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %.200s", c.name, fmt.Sprint(r))
				}
			}()
			err := c.call()
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: %v, want one line with %q", c.name, err, c.want)
			}
		}()
	}
}
