// Package trained is a trained model as a file and everything a loaded
// model does: its weight file ([Load], [Save]: the network's weights, the
// recipe.Config they were trained with and their [Provenance]), the
// sampler and NLL configurations that follow from its configuration
// ([Model.SampleConfig], [Model.NLLConfig]: decided here once), the
// classifier-free guidance it accepts ([Model.Guidance]) and batched
// sampling sized before it starts ([Model.SampleMany], [SampleMemory]).
// Package run writes these files; package eval scores them.
package trained

import (
	"fmt"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/ml/model"
)

// Model is a trained network ready to sample or evaluate.
type Model struct {
	Config     recipe.Config
	Provenance Provenance
	Schedule   *ddpm.Schedule
	Store      *model.Store // variables under /net
	Path       string
}

// Net is the model's network (ddpm's samplers and bound read its
// variables under ddpm.NetScope of Store).
func (m *Model) Net() ddpm.Net { return m.Config.Network.Net() }

// Usable says whether m is a model to sample or evaluate: not nil, with
// weights and a schedule, as Load returns it (a notebook that
// ignored Load's error holds a nil *Model).
func (m *Model) Usable() error {
	switch {
	case m == nil:
		return fmt.Errorf("trained: a nil *Model: trained.Load returns one with its error (check it)")
	case m.Store == nil || m.Schedule == nil || m.Config.Network == nil:
		return fmt.Errorf("trained: a Model without weights, schedule or network: make it with trained.Load")
	}
	return nil
}
