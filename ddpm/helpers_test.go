package ddpm

import (
	. "github.com/gomlx/gomlx/core/graph"
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// moments returns the mean and (population) variance of x.
func moments(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x))
}

// mcTol is k standard errors of the mean of n draws with variance v.
func mcTol(k, v float64, n int) float64 { return k * math.Sqrt(v/float64(n)) }

// varTol is k standard errors of a Gaussian sample variance: sd ≈ v √(2/(n−1)).
func varTol(k, v float64, n int) float64 { return k * v * math.Sqrt(2/float64(n-1)) }

func flat32(t *tensors.Tensor) []float64 {
	d := tensors.MustCopyFlatData[float32](t)
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v)
	}
	return out
}

func flat64(t *tensors.Tensor) []float64 { return tensors.MustCopyFlatData[float64](t) }

// run1 and runN execute a graph function once and fail the test on error.
func run1[F ExecGraphFnOneOutput](t testing.TB, fn F, args ...any) *tensors.Tensor {
	t.Helper()
	out, err := CallOnce(testBackend(t), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runN[F ExecGraphFn](t testing.TB, fn F, args ...any) []*tensors.Tensor {
	t.Helper()
	out, err := CallOnceN(testBackend(t), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
