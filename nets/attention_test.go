package nets

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// SelfAttention against float64 arithmetic on the stored (random) weights,
// including the zero-initialised output projection made non-zero.
func TestSelfAttentionMatchesReference(t *testing.T) {
	const B, H, W, C, G = 2, 2, 3, 4, 2
	const N = H * W
	xT, x := randTensor(51, B, H, W, C)
	store := model.NewStore()
	build := func(scope *model.Scope, x *Node) []*Node {
		y := SelfAttention(scope.At("attn"), x, G)
		return append([]*Node{y}, scope.BuildTrainableVariablesGradientsGraph(ReduceAllSum(Square(y)))...)
	}
	callN(t, store, build, xT) // creates the variables (output projection zero, γ one)
	seed := uint64(60)
	for v := range store.IterVariables() {
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			setValue(t, v, r)
			seed++
		}
	}
	outs := callN(t, store, build, xT)
	got := values(t, outs[0])
	v := func(p string) []float64 { return varValues(t, store, "/attn/"+p) }
	gamma, beta := v("norm/scale"), v("norm/offset")
	dense := func(name string, in []float64) []float64 { // [N, C] → [N, C]
		w, b := v(name+"/weights"), v(name+"/biases")
		out := make([]float64, N*C)
		for n := range N {
			for o := range C {
				s := b[o]
				for i := range C {
					s += in[n*C+i] * w[i*C+o]
				}
				out[n*C+o] = s
			}
		}
		return out
	}
	for b := range B {
		xb := x[b*N*C : (b+1)*N*C]
		h := make([]float64, N*C)
		for grp := range G {
			m, s2, cnt := 0.0, 0.0, 0.0
			for n := range N {
				for c := grp * C / G; c < (grp+1)*C/G; c++ {
					m += xb[n*C+c]
					cnt++
				}
			}
			m /= cnt
			for n := range N {
				for c := grp * C / G; c < (grp+1)*C/G; c++ {
					s2 += (xb[n*C+c] - m) * (xb[n*C+c] - m)
				}
			}
			s2 /= cnt
			for n := range N {
				for c := grp * C / G; c < (grp+1)*C/G; c++ {
					h[n*C+c] = gamma[c]*(xb[n*C+c]-m)/math.Sqrt(s2+GroupNormEpsilon) + beta[c]
				}
			}
		}
		q, k, vv := dense("q", h), dense("k", h), dense("v", h)
		a := make([]float64, N*C)
		for n := range N {
			logits := make([]float64, N)
			mx := math.Inf(-1)
			for m := range N {
				for c := range C {
					logits[m] += q[n*C+c] * k[m*C+c]
				}
				logits[m] /= math.Sqrt(C)
				mx = max(mx, logits[m])
			}
			z := 0.0
			for m := range N {
				logits[m] = math.Exp(logits[m] - mx)
				z += logits[m]
			}
			for m := range N {
				for c := range C {
					a[n*C+c] += logits[m] / z * vv[m*C+c]
				}
			}
		}
		o := dense("out", a)
		for i := range N * C {
			want := xb[i] + o[i]
			if g := got[b*N*C+i]; math.Abs(g-want) > 2e-5 {
				t.Fatalf("image %d element %d: %.7f, want %.7f", b, i, g, want)
			}
		}
	}
	if len(outs) != 1+10 {
		t.Errorf("%d gradients, want 10", len(outs)-1)
	}
	if n, want := store.Scope("/attn").NumParameters(), attentionParams(C); n != want {
		t.Errorf("SelfAttention has %d parameters, want %d", n, want)
	}
}

// A new SelfAttention block (zero output projection) is the identity.
func TestSelfAttentionStartsAsIdentity(t *testing.T) {
	xT, x := randTensor(52, 1, 4, 4, 8)
	y := values(t, callN(t, model.NewStore(), func(scope *model.Scope, x *Node) *Node {
		return SelfAttention(scope.At("attn"), x, 4)
	}, xT)[0])
	if d := maxAbsDiff(y, x); d != 0 {
		t.Errorf("new SelfAttention: max |y − x| = %g, want 0", d)
	}
}

func TestSelfAttentionPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		SelfAttention(scope, Zeros(g, shapeF32(2, 16, 8)), 4)
	}, "[B, H, W, C]", "(Float32)[2, 16, 8]")
}

// MultiHeadSelfAttention against float64 arithmetic on random stored
// weights (biases included), with 2 heads, so that the split of the qkv
// projection into q, k, v and heads is checked index by index; its gradient
// builds and reaches all four variables.
func TestMultiHeadSelfAttentionMatchesReference(t *testing.T) {
	const B, N, D, H = 2, 3, 4, 2
	const dh = D / H
	xT, x := randTensor(53, B, N, D)
	store := model.NewStore()
	build := func(scope *model.Scope, x *Node) []*Node {
		y := MultiHeadSelfAttention(scope.At("mha"), x, H)
		return append([]*Node{y}, scope.BuildTrainableVariablesGradientsGraph(ReduceAllSum(Square(y)))...)
	}
	callN(t, store, build, xT)
	seed := uint64(61)
	for v := range store.IterVariables() {
		if v.Trainable {
			r, _ := randTensor(seed, v.Shape().Dimensions...)
			setValue(t, v, r)
			seed++
		}
	}
	outs := callN(t, store, build, xT)
	got := values(t, outs[0])
	v := func(p string) []float64 { return varValues(t, store, "/mha/"+p) }
	dense := func(name string, in []float64, out int) []float64 { // [N, D] → [N, out]
		w, b := v(name+"/weights"), v(name+"/biases")
		y := make([]float64, N*out)
		for n := range N {
			for o := range out {
				s := b[o]
				for i := range D {
					s += in[n*D+i] * w[i*out+o]
				}
				y[n*out+o] = s
			}
		}
		return y
	}
	for b := range B {
		qkv := dense("qkv", x[b*N*D:(b+1)*N*D], 3*D) // [N, 3D]: q, then k, then v; heads consecutive within each
		a := make([]float64, N*D)
		for h := range H {
			at := func(part, n, j int) float64 { return qkv[n*3*D+part*D+h*dh+j] }
			for n := range N {
				logits := make([]float64, N)
				mx := math.Inf(-1)
				for m := range N {
					for j := range dh {
						logits[m] += at(0, n, j) * at(1, m, j)
					}
					logits[m] /= math.Sqrt(dh)
					mx = max(mx, logits[m])
				}
				z := 0.0
				for m := range N {
					logits[m] = math.Exp(logits[m] - mx)
					z += logits[m]
				}
				for m := range N {
					for j := range dh {
						a[n*D+h*dh+j] += logits[m] / z * at(2, m, j)
					}
				}
			}
		}
		o := dense("proj", a, D)
		for i := range N * D {
			if g := got[b*N*D+i]; math.Abs(g-o[i]) > 2e-5*max(1, math.Abs(o[i])) {
				t.Fatalf("batch %d element %d: %.7f, want %.7f", b, i, g, o[i])
			}
		}
	}
	if len(outs) != 1+4 {
		t.Errorf("%d gradients, want 4", len(outs)-1)
	}
	if n, want := store.Scope("/mha").NumParameters(), multiHeadAttentionParams(D); n != want {
		t.Errorf("MultiHeadSelfAttention has %d parameters, want %d", n, want)
	}
}

func TestMultiHeadSelfAttentionPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		MultiHeadSelfAttention(scope, Zeros(g, shapeF32(2, 16, 6)), 4)
	}, "D a multiple of heads", "(Float32)[2, 16, 6]", "heads=4")
}
