package nets

import (
	"fmt"
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

// im2col and the backend's native convolution (called directly, also on the
// pure-Go backend: slow only for big inputs) against each other and against
// a float64 direct convolution, on odd, non-square images, with the same
// variables; and their gradients with respect to the kernel and the input.
func TestConv2DPathsAgree(t *testing.T) {
	testConvPaths(t, testBackend(t), []struct{ k, s int }{{3, 1}, {3, 2}, {5, 1}, {1, 1}})
}

// The same on XLA, where ConvHybrid (XLA CPU) or ConvNative (GPU) is the
// path ConvAuto takes.
func TestConv2DPathsAgreeXLA(t *testing.T) {
	t.Parallel() // XLA only: see testBackend
	testConvPaths(t, xlaBackend(t), []struct{ k, s int }{{3, 1}, {3, 2}, {1, 1}})
}

// ConvHybrid's decomposed graph is also the value GoMLX returns when fused
// ops are switched off (GOMLX_FUSION=0): it must still be the convolution.
func TestConv2DHybridWithoutFusion(t *testing.T) {
	t.Setenv(FusionEnv, "0")
	testConvPaths(t, testBackend(t), []struct{ k, s int }{{3, 2}})
}

// autoWant is the algorithm ConvAuto must resolve to on backend.
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
	xT, x := randTensor(11, B, H, W, C)
	wT, _ := randTensor(12, B, (H+1)/2, (W+1)/2, O) // weights of the loss Σ w·y at stride 2
	for _, tc := range cases {
		t.Run(fmt.Sprintf("k%d_s%d", tc.k, tc.s), func(t *testing.T) {
			store := model.NewStore()
			outs := callOn(t, backend, store, func(scope *model.Scope, x, w *Node) []*Node {
				if got, want := ConvAuto.Resolve(x.Graph()), autoWant(backend); got != want {
					t.Errorf("ConvAuto on backend %q resolves to %v, want %v", backend.String(), got, want)
				}
				sc := scope.WithInitializer(randomInit(store, 0.3)).At("c")
				var res []*Node
				var ys []*Node
				for _, algo := range []ConvAlgo{ConvIm2Col, ConvNative, ConvHybrid} {
					y := Conv2D(sc, x, O, tc.k, tc.s, algo)
					ys = append(ys, y)
					ww := w
					if tc.s == 1 {
						ww = Concatenate([]*Node{w, w}, 1) // any fixed weights of y's shape
						ww = Slice(Concatenate([]*Node{ww, ww}, 2), AxisRange(), AxisRange(0, H), AxisRange(0, W), AxisRange())
					}
					loss := ReduceAllSum(Mul(y, ww))
					kernel := store.GetVariable("/c/weights").NodeValue(x.Graph())
					res = append(res, Gradient(loss, kernel, x)...)
				}
				return append(ys, res...)
			}, xT, wT)
			kernel, bias := varValues(t, store, "/c/weights"), varValues(t, store, "/c/biases")
			want := conv2DRef(x, B, H, W, C, kernel, bias, tc.k, O, tc.s)
			names := []string{"im2col", "native", "hybrid"}
			for i, name := range names {
				if d := maxAbsDiff(values(t, outs[i]), want); d > 1e-5 {
					t.Errorf("%s vs float64 reference: max diff %g", name, d)
				}
			}
			// Gradients: outs[3+2i] d/dkernel and outs[4+2i] d/dx of algorithm i.
			for i, name := range names[1:] {
				for j, wrt := range []string{"d/dkernel", "d/dx"} {
					gi, g := values(t, outs[3+j]), values(t, outs[3+2*(i+1)+j])
					if d := maxAbsDiff(gi, g); d > 1e-4 {
						t.Errorf("%s: im2col vs %s max diff %g, want ≤ 1e-4", wrt, name, d)
					}
					if maxAbsDiff(g, make([]float64, len(g))) == 0 {
						t.Errorf("%s of %s is all zeros", wrt, name)
					}
				}
			}
		})
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
