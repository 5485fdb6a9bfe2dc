package data

import (
	"fmt"
	"math/rand/v2"
)

// epochStream is added to the epoch to make the PCG stream (increment) of
// an epoch's permutation; the run's seed picks the state. It keeps the
// streams apart from the 2-D toy sources' PCG(seed, step) for any step
// below 2³², and it is what training has always used: changing it changes
// every image run's batches.
const epochStream = 1 << 32

// Batcher yields minibatches of example indices for training by epochs:
// epoch e is a uniform random permutation of 0, …, n−1, math/rand/v2's
// Perm on PCG(seed, e + 2³²), cut into ⌊n/batchSize⌋ batches of exactly
// batchSize indices. The last n mod batchSize indices of each permutation
// are dropped, so that every batch has the same shape, which a compiled
// graph needs; since each epoch reshuffles, different examples are dropped
// each time.
//
// The batch of a step is a pure function of (n, batchSize, seed, step), not
// of the steps drawn before it: a run resumed from a checkpoint at any step
// draws exactly the batches the uninterrupted run would have (exact
// resume). The Go standard library pins the outputs of PCG and Perm in its
// regression test (math/rand/v2/regress_test.go). A Batcher keeps the
// permutation of the last epoch asked for; it is not safe for concurrent
// use.
type Batcher struct {
	n, size int
	seed    uint64
	epoch   int64 // epoch of perm; −1 before the first call
	perm    []int
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
	return &Batcher{n: n, size: batchSize, seed: seed, epoch: -1}, nil
}

// Indices returns the batch of step (counting from 0): a new slice of
// batchSize distinct indices in [0, n), the (step mod B)-th batch of epoch
// ⌊step/B⌋'s permutation, B = [Batcher.BatchesPerEpoch]. It panics on a
// negative step.
func (b *Batcher) Indices(step int64) []int {
	if step < 0 {
		panic(fmt.Sprintf("data: Batcher.Indices(%d): the step counts from 0", step))
	}
	per := int64(b.BatchesPerEpoch())
	epoch, k := step/per, int(step%per)
	if epoch != b.epoch {
		b.perm = rand.New(rand.NewPCG(b.seed, uint64(epoch)+epochStream)).Perm(b.n)
		b.epoch = epoch
	}
	batch := make([]int, b.size)
	copy(batch, b.perm[k*b.size:])
	return batch
}

// Epoch returns the epoch, counting from 0, of step's batch.
func (b *Batcher) Epoch(step int64) int64 { return step / int64(b.BatchesPerEpoch()) }

// BatchesPerEpoch returns ⌊n/batchSize⌋, the number of batches in an epoch.
func (b *Batcher) BatchesPerEpoch() int { return b.n / b.size }
