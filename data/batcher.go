package data

import (
	"fmt"
	"math/rand/v2"
)

// batcherStream is the PCG stream (increment) selector used by NewBatcher;
// the user's seed picks the state. Any fixed constant would do.
const batcherStream = 0xda3e39cb94b95bdb

// Batcher yields minibatches of example indices for training by epochs:
// each epoch is a fresh uniform random permutation of 0, …, n−1 cut into
// ⌊n/batchSize⌋ batches of exactly batchSize indices. The last n mod
// batchSize indices of each permutation are dropped, so that every batch has
// the same shape, which a compiled graph needs; since each epoch reshuffles,
// different examples are dropped each time.
//
// The sequence of batches depends only on (n, batchSize, seed) and on the
// PCG generator and Shuffle of math/rand/v2, whose outputs the Go standard
// library pins in its regression test (math/rand/v2/regress_test.go).
// A Batcher is not safe for concurrent use.
type Batcher struct {
	n, size int
	rng     *rand.Rand
	perm    []int
	pos     int // start of the next batch in perm
	epoch   int // epoch of perm, counting from 0
}

// NewBatcher returns a Batcher over n examples in batches of batchSize,
// seeded with seed. It fails unless 1 ≤ batchSize ≤ n.
func NewBatcher(n, batchSize int, seed uint64) (*Batcher, error) {
	switch {
	case batchSize < 1:
		return nil, fmt.Errorf("data: batch size %d, want at least 1", batchSize)
	case n < batchSize:
		return nil, fmt.Errorf("data: batch size %d exceeds the %d examples, so every batch would be dropped; use a batch size of at most %d", batchSize, n, n)
	}
	b := &Batcher{n: n, size: batchSize, rng: rand.New(rand.NewPCG(seed, batcherStream)), perm: make([]int, n)}
	for i := range b.perm {
		b.perm[i] = i
	}
	b.shuffle()
	return b, nil
}

func (b *Batcher) shuffle() {
	b.rng.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })
}

// Next returns the next batch: a new slice of batchSize distinct indices in
// [0, n). When the current epoch has fewer than batchSize indices left, they
// are dropped, the indices are reshuffled and a new epoch begins.
func (b *Batcher) Next() []int {
	if b.pos+b.size > b.n {
		b.shuffle()
		b.pos = 0
		b.epoch++
	}
	batch := make([]int, b.size)
	copy(batch, b.perm[b.pos:])
	b.pos += b.size
	return batch
}

// Epoch returns the epoch, counting from 0, of the batch last returned by
// Next (0 before the first call).
func (b *Batcher) Epoch() int { return b.epoch }

// BatchesPerEpoch returns ⌊n/batchSize⌋, the number of batches in an epoch.
func (b *Batcher) BatchesPerEpoch() int { return b.n / b.size }
