package data

import (
	"path/filepath"
	"testing"
)

// cifarRecords encodes n CIFAR-10 records; record k of the batch has label
// (first+k) mod 10 and channel c of pixel (y, x) equal to (first+k+c+y+x) mod 256,
// stored planar (CHW) as in the distributed files.
func cifarRecords(first, n int) []byte {
	b := make([]byte, 0, n*cifarRecord)
	for k := range n {
		id := first + k
		b = append(b, byte(id%10))
		for c := range 3 {
			for y := range cifarSide {
				for x := range cifarSide {
					b = append(b, byte(id+c+y+x))
				}
			}
		}
	}
	return b
}

// checkCIFAR verifies images and labels produced from cifarRecords(0, n).
func checkCIFAR(t *testing.T, im *Images, labels []uint8, n int) {
	t.Helper()
	if im.N != n || im.H != 32 || im.W != 32 || im.C != 3 || len(im.Pix) != n*3072 || len(labels) != n {
		t.Fatalf("got %d×%d×%d×%d images (%d bytes), %d labels; want %d×32×32×3, %d",
			im.N, im.H, im.W, im.C, len(im.Pix), len(labels), n, n)
	}
	for i := range n {
		if labels[i] != byte(i%10) {
			t.Fatalf("label %d = %d, want %d", i, labels[i], i%10)
		}
		img := im.Image(i)
		for _, p := range [][2]int{{0, 0}, {0, 31}, {17, 5}, {31, 31}} {
			y, x := p[0], p[1]
			for c := range 3 {
				if got, want := img[(y*32+x)*3+c], byte(i+c+y+x); got != want {
					t.Fatalf("image %d pixel (%d,%d) channel %d = %d, want %d", i, y, x, c, got, want)
				}
			}
		}
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	// Five training batches of 3 records each, numbered consecutively, so the
	// concatenation order is visible.
	for b := range 5 {
		writeFile(t, dir, cifarFiles["train"][b], cifarRecords(3*b, 3))
	}
	writeFile(t, dir, "test_batch.bin", cifarRecords(0, 4))

	im, labels, err := LoadCIFAR10(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, im, labels, 15)

	im, labels, err = LoadCIFAR10(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, im, labels, 4)
}

func TestCIFAR10Errors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := LoadCIFAR10(dir, "valid")
	checkErr(t, err, "", `unknown CIFAR-10 split "valid"`, "train, test")

	_, _, err = LoadCIFAR10(dir, "test")
	checkErr(t, err, filepath.Join(dir, "test_batch.bin"), "no such file", "cifar-10-batches-bin")

	// Training split with batch 3 missing names that file.
	for _, name := range []string{"data_batch_1.bin", "data_batch_2.bin"} {
		writeFile(t, dir, name, cifarRecords(0, 1))
	}
	_, _, err = LoadCIFAR10(dir, "train")
	checkErr(t, err, filepath.Join(dir, "data_batch_3.bin"), "no such file")

	good := cifarRecords(0, 2)
	bad10 := cifarRecords(0, 3)
	bad10[2*cifarRecord] = 10
	cifar100 := make([]byte, 2*(cifarRecord+1))
	for _, tc := range []struct {
		name      string
		content   []byte
		fragments []string
	}{
		{"empty.bin", nil, []string{"is empty"}},
		{"truncated.bin", good[:len(good)-5], []string{"size 6141 bytes is not a multiple of the 3073-byte", "1 whole records + 3068 bytes", "truncated"}},
		{"longer.bin", append(good, 0), []string{"size 6147 bytes", "2 whole records + 1 bytes"}},
		{"cifar100.bin", cifar100, []string{"CIFAR-100"}},
		{"label.bin", bad10, []string{"record 2 has label 10, want 0…9"}},
	} {
		path := writeFile(t, dir, tc.name, tc.content)
		_, _, err := ReadCIFAR10Batch(path)
		checkErr(t, err, path, tc.fragments...)
	}
	_, _, err = ReadCIFAR10Batch(dir)
	checkErr(t, err, dir, "is a directory")
}

// TestCIFAR10Dataset: cifar10 is 32×32×3 with 10 classes, needs a folder,
// and its loader reads a tiny fixture of the binary format (cifarRecords).
func TestCIFAR10Dataset(t *testing.T) {
	d := checkDataset(t, "cifar10", []int{32, 32, 3}, 10)
	if d.DefaultDir != "" || d.Eval != nil {
		t.Errorf("default folder %q, evaluator %v: want none (no copy ships, no classifier)", d.DefaultDir, d.Eval)
	}
	dir := t.TempDir()
	writeFile(t, dir, "test_batch.bin", cifarRecords(0, 2))
	im, labels, err := d.Load(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	checkCIFAR(t, im, labels, 2)
	_, _, err = d.Load(dir, "train")
	checkErr(t, err, "data_batch_1.bin", "no such file")
}
