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

// Each epoch's batches are distinct indices of [0, n), all but n mod
// batchSize of them, and the epochs are reshuffled.
func TestBatcherEpochs(t *testing.T) {
	const n, size = 10, 3
	b, err := NewBatcher(n, size, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.BatchesPerEpoch(); got != 3 {
		t.Fatalf("BatchesPerEpoch = %d, want 3", got)
	}
	var perms [][]int
	step := int64(0)
	for e := range int64(4) {
		var seen []int
		for range b.BatchesPerEpoch() {
			if b.Epoch(step) != e {
				t.Fatalf("Epoch(%d) = %d, want %d", step, b.Epoch(step), e)
			}
			batch := b.Indices(step)
			step++
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
	// Batch size n: every batch is a permutation of all indices.
	full, err := NewBatcher(5, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(3) {
		if got := slices.Sorted(slices.Values(full.Indices(step))); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("full batch %v is not a permutation of 0..4", got)
		}
	}
}

// The batch of a step depends on the seed and the step alone: asked in any
// order, by a fresh Batcher or one that has drawn other epochs (a resumed
// run), it is the same; a different seed gives different batches; the
// returned slice is the caller's.
func TestBatcherPureInSeedAndStep(t *testing.T) {
	const steps = 20 // three epochs and a bit of 50/8 = 6 batches
	inOrder := func(seed uint64) [][]int {
		b, err := NewBatcher(50, 8, seed)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]int
		for step := range int64(steps) {
			batch := b.Indices(step)
			out = append(out, batch)
			batch[0] = -1 // must not affect the Batcher
			out[step] = b.Indices(step)
		}
		return out
	}
	a, c := inOrder(3), inOrder(4)
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Errorf("different seeds gave identical batches")
	}
	shuffled, err := NewBatcher(50, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int64{19, 0, 13, 7, 18, 6, 12, 1} {
		if got := shuffled.Indices(step); !slices.Equal(got, a[step]) {
			t.Errorf("step %d asked out of order: %v, in order: %v", step, got, a[step])
		}
		fresh, _ := NewBatcher(50, 8, 3) // a run resumed at step
		if got := fresh.Indices(step); !slices.Equal(got, a[step]) {
			t.Errorf("step %d from a fresh Batcher: %v, in order: %v", step, got, a[step])
		}
	}
}

// The sequence training has used since its first image run (experiment's
// imageSource before it used Batcher, at commit 4e4e98e): changing it would
// change every image run's batches, and a run resumed across the change
// would not match itself.
func TestBatcherSequencePinned(t *testing.T) {
	b, err := NewBatcher(10, 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int
	for step := range int64(4) {
		got = append(got, b.Indices(step))
	}
	// Printed by experiment's imageSource.indices of commit 4e4e98e, copied
	// verbatim into a scratch program (imgs.N = 10, batch 4, seed 7, epoch -1).
	want := [][]int{{6, 3, 1, 9}, {4, 7, 8, 2}, {7, 4, 8, 1}, {5, 3, 2, 0}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches of steps 0–3 (n 10, batch 4, seed 7) = %v, want %v", got, want)
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
	for step := range int64(epochs * b.BatchesPerEpoch()) {
		for _, i := range b.Indices(step) {
			count[i]++
		}
	}
	for i, c := range count {
		if c < 2600 || c > 2800 { // mean 2700, sd ≈ 16
			t.Errorf("index %d used %d times in %d epochs, want about 2700", i, c, epochs)
		}
	}
}
