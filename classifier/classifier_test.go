package classifier

import (
	"github.com/ddpm-go/ddpm-go/data"
	"math"
	"os"
	"path/filepath"
	"testing"

	backendpkg "github.com/ddpm-go/ddpm-go/backend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// loadCommitted loads the committed weights, or skips the test.
func loadCommitted(t *testing.T) (*model.Store, *Meta) {
	t.Helper()
	path := DefaultPath()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no classifier weights at %s: train them with go run ./classifier/cmd/trainclassifier", path)
	}
	store, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return store, meta
}

// The committed weights classify ≥ 99 % of the first 1,000 MNIST test
// images correctly (their metadata records the accuracy on all 10,000), and
// have the parameter count drawn in the package doc.
func TestCommittedWeightsAccuracy(t *testing.T) {
	store, meta := loadCommitted(t)
	if n := store.NumParameters(); n != NumParameters {
		t.Errorf("the weight file holds %d parameters, the package doc draws %d", n, NumParameters)
	}
	im, y, err := data.LoadMNIST("", "test")
	if err != nil {
		t.Skipf("MNIST test set unavailable: %v", err)
	}
	x := im.ToFloat32(data.ScaleSymmetric)
	const n = 1000
	backend := backendpkg.Must()
	acc, err := Accuracy(backend, store, x[:n*ImageSize*ImageSize], y[:n])
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.99 {
		t.Errorf("accuracy on the first %d test images %.2f %%, want ≥ 99 %%", n, 100*acc)
	}
	if meta.TestAccuracy < 0.99 {
		t.Errorf("recorded test accuracy %.4f < 0.99", meta.TestAccuracy)
	}
	t.Logf("accuracy on the first %d test images: %.2f %% (recorded on all 10,000: %.2f %%; %s)", n, 100*acc, 100*meta.TestAccuracy, meta.Command)

	// Features: [N·128], finite; batching (with padding) does not change them.
	f, err := Features(backend, store, x[:7*ImageSize*ImageSize])
	if err != nil {
		t.Fatal(err)
	}
	g, _ := Features(backend, store, x[3*ImageSize*ImageSize:4*ImageSize*ImageSize])
	if len(f) != 7*FeatureDim || len(g) != FeatureDim {
		t.Fatalf("feature lengths %d and %d", len(f), len(g))
	}
	for j := range FeatureDim {
		if v := f[3*FeatureDim+j]; math.IsNaN(v) || math.Abs(v-g[j]) > 1e-4*(1+math.Abs(v)) {
			t.Fatalf("feature %d of image 3: %g in a batch of 7, %g alone", j, v, g[j])
		}
	}

	// Save and Load round-trip.
	path := filepath.Join(t.TempDir(), "c.ddpm")
	if err := Save(store, path, meta); err != nil {
		t.Fatal(err)
	}
	store2, meta2, err := Load(path)
	if err != nil || meta2.TestAccuracy != meta.TestAccuracy {
		t.Fatalf("reload: %v, %+v", err, meta2)
	}
	g2, _ := Features(backend, store2, x[3*ImageSize*ImageSize:4*ImageSize*ImageSize])
	for j := range g {
		if g2[j] != g[j] {
			t.Fatalf("feature %d after a round trip: %g vs %g", j, g2[j], g[j])
		}
	}
}

// crossEntropy is −log softmax(z)[y] averaged over the batch: checked against
// a float64 host computation (log-sum-exp with the max subtracted).
func TestCrossEntropy(t *testing.T) {
	z := [][]float32{{1, 2, 3, 0, 0, 0, 0, 0, 0, -1}, {10, -10, 0, 0, 0, 0, 0, 0, 0, 5}}
	y := []int32{2, 9}
	var want float64
	for i, row := range z {
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - mx)
		}
		want += (mx + math.Log(s) - float64(row[y[i]])) / float64(len(z))
	}
	got, err := CallOnce(backendpkg.Must(), func(logits, labels *Node) *Node { return crossEntropy(logits, labels) },
		tensors.FromValue(z), tensors.FromValue(y))
	if err != nil {
		t.Fatal(err)
	}
	if g := float64(tensors.ToScalar[float32](got)); math.Abs(g-want) > 1e-5*want {
		t.Errorf("cross-entropy %g, want %g", g, want)
	}
}

// translate moves the image content by (dy, dx) and fills with −1.
func TestTranslate(t *testing.T) {
	src := make([]float32, ImageSize*ImageSize)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, len(src))
	translate(dst, src, 2, -1)
	if dst[5*ImageSize+3] != src[3*ImageSize+4] || dst[0] != -1 || dst[1*ImageSize+27] != -1 || dst[2*ImageSize+26] != src[0*ImageSize+27] {
		t.Errorf("translate(2, −1) misplaced pixels")
	}
	translate(dst, src, 0, 0)
	for i := range src {
		if dst[i] != src[i] {
			t.Fatal("translate(0, 0) is not a copy")
		}
	}
}

// ConfidentShare against hand-computed softmax maxima: row 0 has
// p_max = e^4/(e^4 + 9) = 0.8585 (< 0.9), row 1 e^6/(e^6 + 9) = 0.9782,
// row 2 uniform 0.1; threshold 0.5 counts rows 0 and 1.
func TestConfidentShare(t *testing.T) {
	rows := make([]float64, 3*Classes)
	rows[0*Classes+3] = 4
	rows[1*Classes+7] = 106 // shifted by 100: the max is subtracted first
	for k := range Classes {
		if k != 7 {
			rows[1*Classes+k] = 100
		}
	}
	for _, c := range []struct{ th, want float64 }{{0.9, 1.0 / 3}, {0.5, 2.0 / 3}, {0.1, 1}, {0.99, 0}} {
		got, err := ConfidentShare(rows, c.th)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("threshold %g: %g, %v; want %g", c.th, got, err, c.want)
		}
	}
	if _, err := ConfidentShare(rows[:15], 0.9); err == nil {
		t.Error("15 logits accepted")
	}
}
