package data

import "testing"

// TestMoonsDataset: the registered toy moons is 2-D, unlabelled, and draws finite points.
func TestMoonsDataset(t *testing.T) {
	checkToy(t, checkDataset(t, "moons", []int{2}, 0))
}
