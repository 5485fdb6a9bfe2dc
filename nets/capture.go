package nets

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// variable returns the value of the variable name under scope, created with
// the given shape and the scope's initializer on first use. Inside a
// sampler's While body it is the loop-carried value that
// gomlxfix.WhileVariables sets.
func variable(scope *model.Scope, g *Graph, name string, shape shapes.Shape) *Node {
	return scope.VariableWithShape(name, shape).NodeValue(g)
}
