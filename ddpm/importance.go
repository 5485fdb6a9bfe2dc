package ddpm

import (
	"github.com/ddpm-go/ddpm-go/internal/gomlxfix"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Importance-sampled L_vlb, Nichol & Dhariwal (2021) §3.1: the bound
// L_vlb = Σ_t L_t is estimated by
//
//	L_vlb = E_{t∼p_t}[L_t / p_t],   p_t ∝ √E[L_t²],   Σ_t p_t = 1,
//
// whose variance is far below that of uniform sampling, because a few early
// terms dominate the bound. E[L_t²] comes from a history of the last
// ImportanceHistory values of each term, updated every step; until every t
// has that many values, t is drawn uniformly (p_t = 1/T). As in their code
// (guided-diffusion's LossSecondMomentResampler) p_t is mixed with the
// uniform law at weight ImportanceUniform, so that no term is starved.
const (
	ImportanceHistory = 10
	ImportanceUniform = 0.001
)

// ImportanceScope is the scope of the history variables: "history" [T,
// ImportanceHistory] float32, the last values of each term (a ring buffer),
// and "count" [T] int32, how many values each term has had.
const ImportanceScope = "vlb_importance"

// importanceLaw is p_t [T] (float32) from the history: uniform until every
// term has ImportanceHistory values, then √(mean of squares) normalised and
// mixed with the uniform law at ImportanceUniform.
func importanceLaw(history, count *Node) *Node {
	g := history.Graph()
	T := history.Shape().Dimensions[0]
	uniform := Ones(g, shapes.Make(dtypes.Float32, T))
	uniform = MulScalar(uniform, 1/float64(T))
	rms := Sqrt(ReduceMean(Square(history), -1))
	p := Div(rms, ReduceAllSum(rms))
	p = Add(MulScalar(p, 1-ImportanceUniform), MulScalar(uniform, ImportanceUniform))
	warm := GreaterOrEqual(ReduceAllMin(count), Const(g, int32(ImportanceHistory)))
	return Where(warm, p, uniform)
}

// ImportanceSample draws B array indices t from the law p_t of the history
// under scope.In(ImportanceScope) (created at zero), and returns them with
// 1/p_t, the weight that makes the mean of L_t/p_t over the batch an
// unbiased estimate of Σ_t L_t. Call the returned update with the batch's
// terms L_t [B] (no gradient flows into the history) to record them.
func ImportanceSample(scope *model.Scope, g *Graph, T, B int) (t, invP *Node, update func(terms *Node)) {
	sc := scope.In(ImportanceScope)
	hv := sc.VariableWithShape("history", shapes.Make(dtypes.Float32, T, ImportanceHistory)).SetTrainable(false)
	cv := sc.VariableWithShape("count", shapes.Make(dtypes.Int32, T)).SetTrainable(false)
	history, count := hv.NodeValue(g), cv.NodeValue(g)
	p := importanceLaw(history, count)
	// Inverse-CDF sampling: t = #{k : cdf_k ≤ u}, clamped to T−1 against
	// rounding in the last cumulative sum.
	cdf := CumSum(p, 0)
	u := scope.RandomUniform(g, shapes.Make(dtypes.Float32, B))
	below := ConvertDType(LessOrEqual(InsertAxes(cdf, 0), InsertAxes(u, -1)), dtypes.Int32) // [B, T]
	t = StopGradient(Min(ReduceSum(below, -1), Const(g, int32(T-1))))
	pt := Gather(p, InsertAxes(t, -1)) // [B]
	invP = StopGradient(Inverse(pt))
	update = func(terms *Node) {
		terms = StopGradient(ConvertDType(terms, dtypes.Float32))
		// rank_b: how many earlier examples of the batch drew the same t, so
		// that each value goes to its own slot of the ring buffer.
		same := ConvertDType(Equal(InsertAxes(t, 0), InsertAxes(t, -1)), dtypes.Int32) // [B, B]
		earlier := ConvertDType(LessThan(Iota(g, shapes.Make(dtypes.Int32, B, B), 1), Iota(g, shapes.Make(dtypes.Int32, B, B), 0)), dtypes.Int32)
		rank := ReduceSum(Mul(same, earlier), -1)
		slot := ModScalar(Add(Gather(count, InsertAxes(t, -1)), rank), ImportanceHistory) // [B]
		keep := LessThan(rank, Const(g, int32(ImportanceHistory)))                        // more than 10 draws of one t: the last ones are dropped
		// Each kept value has its own position t·H + slot (unique); the dropped ones are not written.
		flat := Add(MulScalar(t, ImportanceHistory), slot)
		hv.SetNodeValue(Reshape(gomlxfix.ScatterAssign(Reshape(history, T*ImportanceHistory), flat, terms, keep), T, ImportanceHistory))
		cv.SetNodeValue(ScatterSum(count, InsertAxes(t, -1), OnesLike(t), false, false))
	}
	return t, invP, update
}
