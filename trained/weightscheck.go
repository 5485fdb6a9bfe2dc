package trained

import (
	"fmt"
	"strings"

	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/ddpm-go/ddpm-go/recipe"
	"github.com/gomlx/gomlx/ml/model"
)

// checkWeights compares the variables a weight file loaded with what its
// configuration's network needs, so that weights that do not match their
// config are reported as such instead of by GoMLX when the sampler is built
// ("While body function must have 111 inputs…").
func checkWeights(store *model.Store, cfg recipe.Config) error {
	prefix := "/" + ddpm.NetScope + "/"
	n, vars := 0, 0
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), prefix) && v.Trainable {
			return fmt.Errorf("variable %s is not a network weight", v.Path())
		}
		if !v.Trainable || v.Shape().Rank() == 0 {
			continue // the optimizer's scalars kept under /net (Adam's learning rate and step; older files mark them trainable)
		}
		vars++
		n += v.Shape().Size()
	}
	if want := cfg.NumParameters(); n != want {
		return fmt.Errorf("the file holds %d parameters in %d variables, but its configuration (%s %s) needs %d: the weights do not match their configuration", n, vars, cfg.ModelName(), cfg.Network.Summary(), want)
	}
	return nil
}
