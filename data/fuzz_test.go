package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ddpm-go/ddpm-go/internal/fuzzcount"
)

// The readers of outside bytes get real files (testdata/: the first two
// MNIST test digits and their labels, plain and gzip) and mutations of them:
// a one-line error or data, never a panic, never more memory than the
// bytes read allow (readPayload grows as data arrives).

func fuzzFile(t *testing.T, b []byte) string {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func FuzzReadIDX(f *testing.F) {
	for _, name := range []string{"mnist-test-2.idx", "mnist-test-2.idx.gz", "mnist-test-labels-2.idx"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(idxBytes(IDXMagicImages, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzcount.Exec("FuzzReadIDX")
		path := fuzzFile(t, b)
		im, err := ReadIDXImages(path)
		fuzzcount.OneLine(t, err)
		if err == nil && len(im.Pix) != im.N*im.H*im.W {
			t.Errorf("%d pixels for %d×%d×%d", len(im.Pix), im.N, im.H, im.W)
		}
		_, err = ReadIDXLabels(path)
		fuzzcount.OneLine(t, err)
	})
}

func FuzzReadCIFAR10Batch(f *testing.F) {
	// No CIFAR-10 file can be downloaded here: the seeds are records in its
	// format (cifarRecords, as TestLoadCIFAR10 uses).
	f.Add(cifarRecords(0, 2))
	f.Add(append(cifarRecords(0, 1), 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzcount.Exec("FuzzReadCIFAR10Batch")
		im, labels, err := ReadCIFAR10Batch(fuzzFile(t, b))
		fuzzcount.OneLine(t, err)
		if err == nil && (len(labels) != im.N || len(im.Pix) != im.N*32*32*3) {
			t.Errorf("%d labels, %d pixels for %d images", len(labels), len(im.Pix), im.N)
		}
	})
}
