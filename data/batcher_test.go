package data

import (
	"slices"
	"testing"
)

func TestNewBatcherErrors(t *testing.T) {
	_, err := NewBatcher(10, 0, 1)
	checkErr(t, err, "", "batch size 0, want at least 1")
	_, err = NewBatcher(10, 11, 1)
	checkErr(t, err, "", "batch size 11 exceeds the 10 examples", "at most 10")
	_, err = NewBatcher(0, 1, 1)
	checkErr(t, err, "", "exceeds the 0 examples")
}

func TestBatcherEpochs(t *testing.T) {
	const n, size = 10, 3
	b, err := NewBatcher(n, size, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.BatchesPerEpoch(); got != 3 {
		t.Fatalf("BatchesPerEpoch = %d, want 3", got)
	}
	if b.Epoch() != 0 {
		t.Fatalf("Epoch before Next = %d, want 0", b.Epoch())
	}
	var perms [][]int
	for e := range 4 {
		var seen []int
		for range b.BatchesPerEpoch() {
			batch := b.Next()
			if b.Epoch() != e {
				t.Fatalf("Epoch = %d, want %d", b.Epoch(), e)
			}
			if len(batch) != size {
				t.Fatalf("batch %v has %d indices, want %d", batch, len(batch), size)
			}
			seen = append(seen, batch...)
		}
		// One epoch: 9 distinct indices in [0, 10), one dropped.
		distinct := slices.Compact(slices.Sorted(slices.Values(seen)))
		if len(distinct) != 9 || distinct[0] < 0 || distinct[8] >= n {
			t.Fatalf("epoch %d indices %v are not 9 distinct values in [0,10)", e, seen)
		}
		perms = append(perms, seen)
	}
	if slices.Equal(perms[0], perms[1]) && slices.Equal(perms[1], perms[2]) {
		t.Errorf("epochs are not reshuffled: %v", perms)
	}
}

func TestBatcherDeterminismAndCopies(t *testing.T) {
	run := func(seed uint64) [][]int {
		b, err := NewBatcher(50, 8, seed)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]int
		for range 20 { // three epochs and a bit
			batch := b.Next()
			out = append(out, batch)
			batch[0] = -1 // must not affect the Batcher
		}
		return out
	}
	a, b, c := run(3), run(3), run(4)
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Errorf("same seed gave different batches")
	}
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Errorf("different seeds gave identical batches")
	}
}

func TestBatcherUniform(t *testing.T) {
	// Over many epochs every index is used about equally often even though
	// one index per epoch is dropped.
	b, err := NewBatcher(10, 3, 11)
	if err != nil {
		t.Fatal(err)
	}
	var count [10]int
	const epochs = 3000
	for range epochs * b.BatchesPerEpoch() {
		for _, i := range b.Next() {
			count[i]++
		}
	}
	for i, c := range count {
		if c < 2600 || c > 2800 { // mean 2700, sd ≈ 16
			t.Errorf("index %d used %d times in %d epochs, want about 2700", i, c, epochs)
		}
	}
	// Batch size n: every batch is a permutation of all indices.
	full, err := NewBatcher(5, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got := slices.Sorted(slices.Values(full.Next())); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("full batch %v is not a permutation of 0..4", got)
		}
	}
}
