package data

import "testing"

// TestSwissRollDataset: the registered toy swissroll is 2-D, unlabelled, and draws finite points.
func TestSwissRollDataset(t *testing.T) {
	checkToy(t, checkDataset(t, "swissroll", []int{2}, 0))
}
