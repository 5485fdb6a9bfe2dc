package classifier

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	"github.com/ddpm-go/ddpm-go/data"
)

// MNIST-FD between two halves of real test digits is far below MNIST-FD
// between real digits and the same digits with Gaussian noise (σ = 0.5,
// clipped to [−1, 1]), and MNIST-FD(X, X) = 0. Skipped without the
// committed classifier weights.
func TestMNISTFDOrdersRealAndNoisy(t *testing.T) {
	path := DefaultPath()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no classifier weights at %s", path)
	}
	store, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	im, _, err := data.LoadMNIST("", "test")
	if err != nil {
		t.Skipf("MNIST unavailable: %v", err)
	}
	x := im.ToFloat32(data.ScaleSymmetric)
	const px, n = 28 * 28, 1000
	a, b := x[:n*px], x[n*px:2*n*px]
	rng := rand.New(rand.NewPCG(19, 20))
	noisy := make([]float32, len(b))
	for i, v := range b {
		noisy[i] = float32(math.Max(-1, math.Min(1, float64(v)+0.5*rng.NormFloat64())))
	}
	backend := backendpkg.Must()
	fd := func(x, y []float32) float64 {
		fx, err := Features(backend, store, x)
		if err != nil {
			t.Fatal(err)
		}
		fy, err := Features(backend, store, y)
		if err != nil {
			t.Fatal(err)
		}
		v, err := FD(fx, fy)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	same, clean, bad := fd(a, a), fd(a, b), fd(a, noisy)
	if math.Abs(same) > 1e-6*(1+clean) || !(clean > 0) || !(bad > 5*clean) {
		t.Errorf("MNIST-FD: X vs X %g, real vs real %g, real vs noisy %g", same, clean, bad)
	}
	t.Logf("MNIST-FD (%d vs %d): real vs real %.3f, real vs noisy (σ=0.5) %.3f", n, n, clean, bad)
}
