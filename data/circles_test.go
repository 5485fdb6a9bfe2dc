package data

import "testing"

// TestCirclesDataset: the registered toy circles is 2-D, unlabelled, and draws finite points.
func TestCirclesDataset(t *testing.T) {
	checkToy(t, checkDataset(t, "circles", []int{2}, 0))
}
