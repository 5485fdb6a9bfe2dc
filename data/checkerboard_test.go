package data

import "testing"

// TestCheckerboardDataset: the registered toy checkerboard is 2-D, unlabelled, and draws finite points.
func TestCheckerboardDataset(t *testing.T) {
	checkToy(t, checkDataset(t, "checkerboard", []int{2}, 0))
}
