package trained_test

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/trained"
)

// A shipped weight file loaded and sampled: the swiss-roll model, eight
// points by DDIM in 10 steps (Song, Meng & Ermon 2021) on the pure-Go
// backend. 141,058 parameters is the reference 2-D MLP's count in
// weights/swissroll.json. The points themselves are not printed: their last
// digits depend on the backend's order of summation.
func ExampleLoad() {
	m, err := trained.Load("../weights/swissroll.ddpm")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %s, %d parameters, T = %d\n", m.Config.Data, m.Config.ModelName(), m.Config.NumParameters(), m.Schedule.T)
	b, err := backend.NewWithConfig(backend.SafeConfig("go"))
	if err != nil {
		fmt.Println(err)
		return
	}
	sc := m.SampleConfig(ddpm.DDIM)
	sc.Steps = 10
	x, _, err := m.Sample(b, sc, 8, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("samples:", x.Shape().Dimensions)
	// Output:
	// swissroll: mlp, 141058 parameters, T = 1000
	// samples: [8 2]
}
