package nets

import (
	"github.com/ddpm-go/ddpm-go/ddpm"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// LabelEmbedding is a learned table E [numClasses+1, dim] ("embeddings"
// under scope, initialised by the scope's initializer) looked up at the
// labels y [B] int32 → [B, dim] of dtype; row numClasses is the null label
// ∅ of classifier-free guidance (ddpm.NullLabel). The lookup is a one-hot
// product, so its gradient reaches only the rows used.
func LabelEmbedding(scope *model.Scope, y *Node, numClasses, dim int, dtype dtypes.DType) *Node {
	if y.Rank() != 1 {
		panicf("nets.LabelEmbedding: y must be [B] labels, got shape %s", y.Shape())
	}
	table := scope.VariableWithShape("embeddings", shapes.Make(dtype, numClasses+1, dim)).NodeValue(y.Graph()) // [n+1, dim]
	onehot := OneHot(StopGradient(ConvertDType(y, dtypes.Int32)), numClasses+1, dtype)                         // [B, n+1]
	return DotGeneral(onehot, []int{1}, nil, table, []int{0}, nil)                                             // [B, dim]
}

// withLabels adds the label embedding of y (nil: the null label ∅) to the
// embedding emb [B, dim] of a network of numClasses classes; numClasses = 0
// (unconditional) returns emb unchanged when y is nil, and nil otherwise.
func withLabels(scope *model.Scope, emb, y *Node, numClasses int) *Node {
	if numClasses == 0 {
		if y != nil {
			return nil
		}
		return emb
	}
	B := emb.Shape().Dimensions[0]
	if y == nil {
		y = BroadcastToShape(Const(emb.Graph(), ddpm.NullLabel(numClasses)), shapes.Make(dtypes.Int32, B))
	}
	if y.Rank() != 1 || y.Shape().Dimensions[0] != B {
		panicf("nets: labels must be [B=%d], got shape %s", B, y.Shape())
	}
	return Add(emb, LabelEmbedding(scope.At("label"), y, numClasses, emb.Shape().Dimensions[1], emb.DType()))
}
