package eval

import (
	"strings"
	"testing"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/internal/field"
	"github.com/ddpm-go/ddpm-go/internal/hostmem"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/ddpm-go/ddpm-go/trained"
)

// modelOf is a model of c (completed) without weights, for the checks of an
// evaluation's configuration, which read only its configuration and schedule.
func modelOf(t *testing.T, c recipe.Config) *trained.Model {
	t.Helper()
	c, err := c.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ddpm.NewSchedule(c.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	return &trained.Model{Config: c, Schedule: s}
}

func TestCapNotes(t *testing.T) {
	mnist := recipe.Config{Data: recipe.MNIST}
	if n := capNotes(mnist, Config{N: 10000, NLLExamples: 64}); len(n) != 0 {
		t.Errorf("within the data: %v", n)
	}
	n := capNotes(mnist, Config{N: 10_000_000, NLLExamples: 20000})
	if !strings.Contains(n["floor"], "60000 training images") || !strings.Contains(n["nll"], "10000 test images") {
		t.Errorf("capped: %v", n)
	}
	if n := capNotes(recipe.Config{Data: "moons"}, Config{N: 10_000_000}); len(n) != 0 {
		t.Errorf("2-D: %v", n)
	}
}

// The evaluation is sized before it starts: with 1 MiB available, 2-D
// metrics over 100,000 samples (4.8 MB at 48 bytes each, see
// eval2DPointBytes) are refused with the estimate; a batch of images that
// fits is not, whatever N (the images stream to the metric).
func TestWorkSizedBeforeItStarts(t *testing.T) {
	saved := hostmem.Available
	t.Cleanup(func() { hostmem.Available = saved })
	hostmem.Available = func() (int64, string, bool) { return 1 << 20, "a test", true }
	toy := modelOf(t, recipe.Config{})
	e, err := Config{N: 100_000}.WithDefaults(toy)
	if err != nil {
		t.Fatal(err)
	}
	if fe := field.As(e.checkMemory(toy.Config)); fe == nil || fe.Path() != "Config.N" || !strings.Contains(fe.Want, "about 4.6 MiB of memory, more than the 1.0 MiB available (a test)") {
		t.Errorf("2-D N = 100,000: %v", fe)
	}
	img := modelOf(t, recipe.Config{Data: recipe.MNIST})
	e, err = Config{N: 1_000_000_000, SampleBatch: 10}.WithDefaults(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.checkMemory(img.Config); err != nil {
		t.Errorf("10⁹ images in batches of 10: %v", err)
	}
	e.SampleBatch = 1000
	if fe := field.As(e.checkMemory(img.Config)); fe == nil || fe.Path() != "Config.SampleBatch" {
		t.Errorf("a batch of 1,000 images in 1 MiB: %v", fe)
	}
}
