package nets

import (
	"fmt"
	"os"
	"strings"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// conv2DRef is a direct float64 convolution with zero padding (k−1)/2:
// x [B, H, W, C] (flat), kernel [k, k, C, O], bias [O] → [B, Ho, Wo, O].
func conv2DRef(x []float64, B, H, W, C int, kernel, bias []float64, k, O, s int) []float64 {
	p := (k - 1) / 2
	Ho, Wo := (H+2*p-k)/s+1, (W+2*p-k)/s+1
	out := make([]float64, 0, B*Ho*Wo*O)
	for b := range B {
		for i := range Ho {
			for j := range Wo {
				for o := range O {
					sum := bias[o]
					for dy := range k {
						for dx := range k {
							y, xx := s*i+dy-p, s*j+dx-p
							if y < 0 || y >= H || xx < 0 || xx >= W {
								continue
							}
							for c := range C {
								sum += x[((b*H+y)*W+xx)*C+c] * kernel[((dy*k+dx)*C+c)*O+o]
							}
						}
					}
					out = append(out, sum)
				}
			}
		}
	}
	return out
}

// conv2DGradRef is the gradient of L = Σ w·y, y = conv2DRef(x, kernel, ·)
// and w [B, Ho, Wo, O], with respect to the kernel and to x, by the chain
// rule term by term (Goodfellow, Bengio & Courville (2016), Deep Learning,
// Eqs. (9.11) and (9.13)): each product x̃[b, s·i+dy, s·j+dx, c]·K[dy, dx, c, o]
// of y[b, i, j, o] adds w[b, i, j, o] times one factor to the other's
// gradient.
func conv2DGradRef(x []float64, B, H, W, C int, kernel, w []float64, k, O, s int) (dK, dX []float64) {
	p := (k - 1) / 2
	Ho, Wo := (H+2*p-k)/s+1, (W+2*p-k)/s+1
	dK, dX = make([]float64, k*k*C*O), make([]float64, B*H*W*C)
	for b := range B {
		for i := range Ho {
			for j := range Wo {
				for o := range O {
					g := w[((b*Ho+i)*Wo+j)*O+o]
					for dy := range k {
						for dx := range k {
							y, xx := s*i+dy-p, s*j+dx-p
							if y < 0 || y >= H || xx < 0 || xx >= W {
								continue
							}
							for c := range C {
								ik, ix := ((dy*k+dx)*C+c)*O+o, ((b*H+y)*W+xx)*C+c
								dK[ik] += g * x[ix]
								dX[ix] += g * kernel[ik]
							}
						}
					}
				}
			}
		}
	}
	return dK, dX
}

// convAlgos are the algorithms testConvPaths checks (all but ConvAuto,
// which resolves to one of them).
var convAlgos = []ConvAlgo{ConvIm2Col, ConvNative, ConvHybrid, ConvKShift, ConvXFwd, ConvXFwdKShift}

// Every algorithm (the backend's native convolution called directly too,
// also on the pure-Go backend: slow only for big inputs) against a float64
// direct convolution and its gradients with respect to the kernel and the
// input, on odd, non-square images with the same variables (7×6: the
// input gradient's padding after the stretched output gradient differs
// between the axes, and at stride 3 it is negative on one). For k > 1 it
// also checks inputGradForward alone against the reference ∂L/∂x.
func TestConv2DPathsAgree(t *testing.T) {
	testConvPaths(t, testBackend(t), []struct{ k, s int }{{3, 1}, {3, 2}, {3, 3}, {5, 1}, {5, 2}, {1, 1}, {1, 2}})
}

// The same on XLA, where ConvHybrid (XLA CPU) or ConvNative (GPU) is the
// path ConvAuto takes.
func TestConv2DPathsAgreeXLA(t *testing.T) {
	t.Parallel() // XLA only: see testBackend
	testConvPaths(t, xlaBackend(t), []struct{ k, s int }{{3, 1}, {3, 2}, {1, 1}})
}

// The decomposed graphs of ConvHybrid and the algorithms built like it are
// also the value GoMLX returns when fused ops are switched off
// (GOMLX_FUSION=0): they must still be the convolution, with the same
// gradients.
func TestConv2DHybridWithoutFusion(t *testing.T) {
	t.Setenv(FusionEnv, "0")
	testConvPaths(t, testBackend(t), []struct{ k, s int }{{3, 2}, {3, 1}})
}

// autoWant is the algorithm ConvAuto must resolve to on backend (with
// $DDPM_CONV_ALGO unset).
func autoWant(backend compute.Backend) ConvAlgo {
	switch backendpkg.PlatformOf(backend) {
	case backendpkg.PlatformGo:
		return ConvIm2Col
	case backendpkg.PlatformXLACPU:
		return ConvHybrid
	}
	return ConvNative
}

func testConvPaths(t *testing.T, backend compute.Backend, cases []struct{ k, s int }) {
	const B, H, W, C, O = 2, 7, 6, 3, 4
	if v := os.Getenv(ConvAlgoEnv); v != "" {
		t.Fatalf("$%s=%q is set: unset it to test ConvAuto's default", ConvAlgoEnv, v)
	}
	xT, x := randTensor(11, B, H, W, C)
	for _, tc := range cases {
		t.Run(fmt.Sprintf("k%d_s%d", tc.k, tc.s), func(t *testing.T) {
			p := (tc.k - 1) / 2
			Ho, Wo := (H+2*p-tc.k)/tc.s+1, (W+2*p-tc.k)/tc.s+1
			wT, w := randTensor(12, B, Ho, Wo, O) // weights of the loss L = Σ w·y
			store := model.NewStore()
			outs := callOn(t, backend, store, func(scope *model.Scope, x, w *Node) []*Node {
				if got, want := ConvAuto.Resolve(x.Graph()), autoWant(backend); got != want {
					t.Errorf("ConvAuto on backend %q resolves to %v, want %v", backend.String(), got, want)
				}
				sc := scope.WithInitializer(randomInit(store, 0.3)).At("c")
				var ys, grads []*Node
				for _, algo := range convAlgos {
					y := Conv2D(sc, x, O, tc.k, tc.s, algo)
					ys = append(ys, y)
					kernel := store.GetVariable("/c/weights").NodeValue(x.Graph())
					grads = append(grads, Gradient(ReduceAllSum(Mul(y, w)), kernel, x)...)
				}
				if tc.k > 1 {
					kernel := store.GetVariable("/c/weights").NodeValue(x.Graph())
					grads = append(grads, inputGradForward(w, kernel, H, W, tc.s))
				}
				return append(ys, grads...)
			}, xT, wT)
			kernel, bias := varValues(t, store, "/c/weights"), varValues(t, store, "/c/biases")
			want := conv2DRef(x, B, H, W, C, kernel, bias, tc.k, O, tc.s)
			dK, dX := conv2DGradRef(x, B, H, W, C, kernel, w, tc.k, O, tc.s)
			n := len(convAlgos)
			for i, algo := range convAlgos {
				if d := maxAbsDiff(values(t, outs[i]), want); d > 1e-5 {
					t.Errorf("%v vs float64 reference: max diff %g, want ≤ 1e-5", algo, d)
				}
				// Gradients: outs[n+2i] d/dkernel and outs[n+2i+1] d/dx of algorithm i.
				for j, ref := range [][]float64{dK, dX} {
					wrt := []string{"d/dkernel", "d/dx"}[j]
					g := values(t, outs[n+2*i+j])
					if d := maxAbsDiff(g, ref); d > 1e-4 {
						t.Errorf("%s of %v vs float64 reference: max diff %g, want ≤ 1e-4", wrt, algo, d)
					}
					if maxAbsDiff(g, make([]float64, len(g))) == 0 {
						t.Errorf("%s of %v is all zeros", wrt, algo)
					}
				}
			}
			if tc.k > 1 {
				if d := maxAbsDiff(values(t, outs[3*n]), dX); d > 1e-4 {
					t.Errorf("inputGradForward vs float64 reference d/dx: max diff %g, want ≤ 1e-4", d)
				}
			}
		})
	}
}

// $DDPM_CONV_ALGO chooses what ConvAuto resolves to, and only that; an
// unknown name is one line from the networks' Validate (before any work)
// and a panic from Resolve; every algorithm's name parses back to it.
func TestConvAlgoEnv(t *testing.T) {
	g := NewGraph(testBackend(t), "env")
	defer g.Finalize()
	for _, a := range append([]ConvAlgo{ConvAuto}, convAlgos...) {
		if got, err := ParseConvAlgo(a.String()); err != nil || got != a {
			t.Errorf("ParseConvAlgo(%q) = %v, %v; want %v", a.String(), got, err, a)
		}
		t.Setenv(ConvAlgoEnv, a.String())
		want := a
		if a == ConvAuto {
			want = autoWant(testBackend(t))
		}
		if got := ConvAuto.Resolve(g); got != want {
			t.Errorf("%s=%s: ConvAuto resolves to %v, want %v", ConvAlgoEnv, a, got, want)
		}
		if got := ConvNative.Resolve(g); got != ConvNative {
			t.Errorf("%s=%s: ConvNative resolves to %v, want itself", ConvAlgoEnv, a, got)
		}
		if err := (UNetConfig{}).Validate(); err != nil {
			t.Errorf("%s=%s: UNetConfig.Validate: %v", ConvAlgoEnv, a, err)
		}
	}
	t.Setenv(ConvAlgoEnv, "")
	if got, want := ConvAuto.Resolve(g), autoWant(testBackend(t)); got != want {
		t.Errorf("%s empty: ConvAuto resolves to %v, want %v", ConvAlgoEnv, got, want)
	}
	t.Setenv(ConvAlgoEnv, "xfwd_kshift")
	for name, err := range map[string]error{
		"UNetConfig":    UNetConfig{}.Validate(),
		"S2DUNetConfig": S2DUNetConfig{Patch: 2}.Validate(),
		"UViTConfig":    UViTConfig{Patch: 4, Width: 64, Depth: 3}.Validate(),
	} {
		if err == nil {
			t.Errorf("%s.Validate with %s=xfwd_kshift: no error", name, ConvAlgoEnv)
			continue
		}
		msg := err.Error()
		for _, w := range []string{ConvAlgoEnv, `"xfwd_kshift"`, "xfwd-kshift", "unset"} {
			if !strings.Contains(msg, w) {
				t.Errorf("%s.Validate error %q does not mention %s", name, msg, w)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%s.Validate error %q is more than one line", name, msg)
		}
	}
	if err := (UNetConfig{Conv: ConvIm2Col}).Validate(); err != nil {
		t.Errorf("an explicit algorithm does not read %s, but Validate says %v", ConvAlgoEnv, err)
	}
	expectPanic(t, func(_ *model.Scope, g *Graph) { ConvAuto.Resolve(g) }, ConvAlgoEnv, "xfwd_kshift")
	if _, err := ParseConvAlgo("Hybrid"); err == nil {
		t.Errorf("ParseConvAlgo(%q): no error, want one (names are lower case)", "Hybrid")
	}
}

// Output sizes ⌊(H+2p−k)/s⌋+1 and ConvAuto's choice on this backend.
func TestConv2DShapesAndAuto(t *testing.T) {
	xT, _ := randTensor(13, 1, 28, 28, 2)
	outs := callN(t, model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		if got, want := ConvAuto.Resolve(x.Graph()), autoWant(testBackend(t)); got != want {
			t.Errorf("ConvAuto on backend %q resolves to %v, want %v", testBackend(t).String(), got, want)
		}
		a := Conv2D(scope.At("a"), x, 5, 3, 2, ConvAuto)
		return []*Node{a, Conv2D(scope.At("b"), a, 3, 3, 2, ConvAuto), Conv2D(scope.At("c"), x, 4, 1, 1, ConvAuto)}
	}, xT)
	checkDims(t, "28×28, stride 2", outs[0], 1, 14, 14, 5)
	checkDims(t, "14×14, stride 2", outs[1], 1, 7, 7, 3)
	checkDims(t, "1×1", outs[2], 1, 28, 28, 4)
}

func TestConv2DPanics(t *testing.T) {
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		Conv2D(scope, Const(g, [][]float32{{1}}), 2, 3, 1, ConvAuto)
	}, "[B, H, W, C]", "(Float32)[1, 1]")
	expectPanic(t, func(scope *model.Scope, g *Graph) {
		Conv2D(scope, Const(g, [][][][]float32{{{{1}}}}), 2, 4, 1, ConvAuto)
	}, "odd kernel size", "k=4")
}
