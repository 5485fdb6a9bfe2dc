package data

import "testing"

// TestFashionMNISTDataset: fashion-mnist is 28×28×1 with 10 classes, needs
// a folder (no copy ships), and its loader reads a tiny fixture in MNIST's
// file layout (writeMNIST).
func TestFashionMNISTDataset(t *testing.T) {
	d := checkDataset(t, "fashion-mnist", []int{28, 28, 1}, 10)
	if d.DefaultDir != "" || d.Eval != nil {
		t.Errorf("default folder %q, evaluator %v: want none (no copy ships, no classifier)", d.DefaultDir, d.Eval)
	}
	dir := t.TempDir()
	writeMNIST(t, dir, "t10k", 4, true)
	im, labels, err := d.Load(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 4 || im.H != 28 || im.W != 28 || im.C != 1 || len(labels) != 4 || labels[3] != 3 {
		t.Fatalf("got %d×%d×%d×%d images, labels %v; want 4×28×28×1, [0 1 2 3]", im.N, im.H, im.W, im.C, labels)
	}
	_, _, err = d.Load(dir, "train")
	checkErr(t, err, dir, "train-images-idx3-ubyte", "Fashion-MNIST")
}
