package eval_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/eval"
	"github.com/ddpm-go/ddpm-go/trained"
)

// The evaluation protocol on a shipped 2-D model: 500 DDIM-20 samples of
// the 8-Gaussians weights on the pure-Go backend, each metric beside its
// floor (the same distance between two draws of the data). Only the ratio
// to the floor is printed, rounded to a whole number (1.35 and 1.87 when
// written), so that a last-bit difference between machines cannot change it.
func ExampleEvaluate() {
	m, err := trained.Load("../weights/8gaussians.ddpm")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := backend.NewWithConfig(backend.SafeConfig("go"))
	if err != nil {
		fmt.Println(err)
		return
	}
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Steps = 20
	r, err := eval.Evaluate(b, m, eval.Config{N: 500, Sample: sc, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rep := range r.Reports {
		fmt.Printf("%s: %.0f× its floor\n", rep.Name, rep.Ratio)
	}
	// Output:
	// sliced-W1: 1× its floor
	// MMD: 2× its floor
}
