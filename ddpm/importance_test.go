package ddpm

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// With a full history whose term t always had the value c_t = t+1, the law
// is p_t ∝ c_t (mixed with the uniform at 0.001): the draws follow it, and
// the mean of c_t/p_t over them estimates Σ_t c_t without bias. With one
// term short of its 10 values the law is uniform (1/p_t = T).
func TestImportanceSampleLaw(t *testing.T) {
	t.Parallel()
	const T, B = 8, 40000
	backend := testBackend(t)
	for _, warm := range []bool{true, false} {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(5); err != nil {
			t.Fatal(err)
		}
		hist := make([][]float32, T)
		count := make([]int32, T)
		var sum float64
		for i := range T {
			hist[i] = make([]float32, ImportanceHistory)
			for j := range hist[i] {
				hist[i][j] = float32(i + 1)
			}
			count[i] = ImportanceHistory + int32(i)
			sum += float64(i + 1)
		}
		if !warm {
			count[3] = ImportanceHistory - 1
		}
		sc := store.Scope("/ddpm").In(ImportanceScope)
		sc.VariableWithValue("history", hist).SetTrainable(false)
		sc.VariableWithValue("count", count).SetTrainable(false)
		exec, err := model.NewExec(backend, store, func(scope *model.Scope, dummy *Node) (*Node, *Node) {
			tt, invP, _ := ImportanceSample(scope.Store().Scope("/ddpm"), dummy.Graph(), T, B)
			return tt, invP
		})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := exec.Call(tensors.FromValue(float32(0)))
		if err != nil {
			t.Fatal(err)
		}
		ts, invP := tensors.MustCopyFlatData[int32](outs[0]), flat32(outs[1])
		freq := make([]float64, T)
		var est float64
		for b, ti := range ts {
			freq[ti] += 1.0 / B
			est += float64(ti+1) * invP[b] / B
			if !warm && invP[b] != T {
				t.Fatalf("cold history: 1/p = %g, want T = %d (uniform)", invP[b], T)
			}
		}
		for i := range T {
			p := 1.0 / T
			if warm {
				p = (1-ImportanceUniform)*float64(i+1)/sum + ImportanceUniform/T
			}
			if math.Abs(freq[i]-p) > mcTol(5, p*(1-p), B) {
				t.Errorf("warm %v: t=%d drawn %.4f of the time, want p_t = %.4f", warm, i, freq[i], p)
			}
		}
		if math.Abs(est-sum) > 0.03*sum {
			t.Errorf("warm %v: mean of c_t/p_t = %.3f, want Σ c_t = %g", warm, est, sum)
		}
	}
}

// The history records each batch's terms in the rows of their t, one slot
// per value (a ring of 10), and counts them.
func TestImportanceHistoryRecords(t *testing.T) {
	t.Parallel()
	const T, B, steps = 8, 64, 5
	backend := testBackend(t)
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, dummy *Node) *Node {
		tt, _, record := ImportanceSample(scope.Store().Scope("/ddpm"), dummy.Graph(), T, B)
		record(AddScalar(ConvertDType(tt, dtypes.Float32), 0.5)) // the term of t is t + 0.5
		return tt
	})
	if err != nil {
		t.Fatal(err)
	}
	drawn := make([]int, T)
	for range steps {
		out, err := exec.Call(tensors.FromValue(float32(0)))
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range tensors.MustCopyFlatData[int32](out[0]) {
			drawn[ti]++
		}
	}
	sc := store.Scope("/ddpm").In(ImportanceScope)
	count := tensors.MustCopyFlatData[int32](sc.GetVariable("count").MustValue())
	hist := flat32(sc.GetVariable("history").MustValue())
	if !sc.GetVariable("history").MustValue().Shape().Equal(shapes.Make(dtypes.Float32, T, ImportanceHistory)) {
		t.Fatalf("history shape %s", sc.GetVariable("history").MustValue().Shape())
	}
	for i := range T {
		if int(count[i]) != drawn[i] {
			t.Errorf("count[%d] = %d, drawn %d times", i, count[i], drawn[i])
		}
		filled := 0
		for _, v := range hist[i*ImportanceHistory : (i+1)*ImportanceHistory] {
			switch v {
			case float64(i) + 0.5:
				filled++
			case 0:
			default:
				t.Errorf("history row %d holds %g, a term of another t", i, v)
			}
		}
		if want := min(drawn[i], ImportanceHistory); filled != want {
			t.Errorf("history row %d has %d values, want %d (drawn %d times)", i, filled, want, drawn[i])
		}
	}
}
